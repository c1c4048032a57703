"""Small shared types and helpers of the DTOs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo
from ulid import ULID


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(ULID())


# Validation context of what is read back from our own storage: written by these models, so
# already valid; the validators that cost a Python call per value (a session of 100 messages
# has 200) skip the work when they see it.
STORED: dict[str, bool] = {"stored": True}


def _aware(value: datetime, info: ValidationInfo) -> datetime:
    """Naive datetimes are taken as UTC; everything is stored in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if info.context is STORED:  # stored in UTC: "Z" or "+00:00"
        return value
    return value.astimezone(UTC)


UTCDateTime = Annotated[datetime, AfterValidator(_aware)]

# Identifiers end up in Redis keys and search tags: keep them printable and bounded.
IDENTIFIER_PATTERN = r"^[^\x00-\x1f\x7f]+$"  # no control characters
Identifier = Annotated[str, Field(min_length=1, max_length=256, pattern=IDENTIFIER_PATTERN)]
