"""Search filters, by the class names of agent-memory-client 0.14.

Tag filters take one of eq, ne (alias not_eq), any (alias in_), all, none (alias not_in);
date filters a range (gt, gte, lt, lte), eq, ne or between. A plain dict with the same keys
works wherever a filter object does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent_memory_sdk.exceptions import MemoryValidationError

_SERVER_NAMES = {"not_eq": "ne", "in_": "any", "in": "any", "not_in": "none"}


class BaseFilter(BaseModel):
    """Base of every filter; `to_json()` is what the server receives."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        given = self.model_dump(mode="json", exclude_none=True)
        if not given:
            raise MemoryValidationError(f"{type(self).__name__} filter sets no condition")
        return {_SERVER_NAMES.get(key, key): value for key, value in given.items()}


class TagFilter(BaseFilter):
    eq: str | None = None
    ne: str | None = None
    not_eq: str | None = None
    any: list[str] | None = None
    in_: list[str] | None = None
    all: list[str] | None = None
    none: list[str] | None = None
    not_in: list[str] | None = None


class SessionId(TagFilter):
    """Filter by session id."""


class Namespace(TagFilter):
    """Filter by namespace."""


class UserId(TagFilter):
    """Filter by user id."""


class Topics(TagFilter):
    """Filter by topics."""


class Entities(TagFilter):
    """Filter by entities."""


class MemoryType(TagFilter):
    """Filter by memory type (semantic, episodic, message)."""


class DateFilter(BaseFilter):
    gt: datetime | None = None
    gte: datetime | None = None
    lt: datetime | None = None
    lte: datetime | None = None
    eq: datetime | None = None
    ne: datetime | None = None
    between: list[datetime] | None = Field(default=None, min_length=2, max_length=2)


class CreatedAt(DateFilter):
    """Filter by creation time."""


class LastAccessed(DateFilter):
    """Filter by last access time."""


class EventDate(DateFilter):
    """Filter by the date of the event a memory describes."""


FilterArg = BaseFilter | dict[str, Any] | None


def filter_json(value: FilterArg) -> dict[str, Any] | None:
    """A filter object or dict as the server's JSON (None stays None)."""
    if value is None:
        return None
    if isinstance(value, BaseFilter):
        return value.to_json()
    if not value:
        raise MemoryValidationError("an empty dict is not a filter")
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = _SERVER_NAMES.get(key, key)
        out[name] = item.isoformat() if isinstance(item, datetime) else item
    return out
