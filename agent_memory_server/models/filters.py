"""Search filters: tag filters (eq/ne/any/all/none) and numeric/date filters (ranges, between).

Both the names of api.md and those the `agent-memory-client` package sends are accepted
(`in_` = `any`, `not_eq` = `ne`, `not_in` = `none`); dates are epoch seconds or ISO datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from agent_memory_server.models.common import IDENTIFIER_PATTERN


def _to_epoch(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as e:
            raise ValueError(f"{value!r} is neither epoch seconds nor an ISO datetime") from e
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return value


Epoch = Annotated[float, BeforeValidator(_to_epoch)]
# No control characters: RediSearch's query parser takes none inside a tag, escaped or not.
TagValue = Annotated[str, Field(min_length=1, max_length=256, pattern=IDENTIFIER_PATTERN)]


class TagFilter(BaseModel):
    """Exactly one of: eq, ne, any, all, none."""

    model_config = ConfigDict(extra="forbid")

    eq: TagValue | None = None
    ne: TagValue | None = None
    any: list[TagValue] | None = Field(default=None, max_length=1000)
    all: list[TagValue] | None = Field(default=None, max_length=1000)
    none: list[TagValue] | None = Field(default=None, max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, dict):
            renamed = {"not_eq": "ne", "in_": "any", "in": "any", "not_in": "none"}
            data = {renamed.get(k, k): v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> TagFilter:
        given = [
            name for name in ("eq", "ne", "any", "all", "none") if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                f"a tag filter takes exactly one of eq, ne, any, all, none; got {given or 'none'}"
            )
        for name in ("any", "all", "none"):
            if getattr(self, name) == []:
                raise ValueError(f"'{name}' needs at least one value")
        return self


class NumericFilter(BaseModel):
    """A range (gt/gte and/or lt/lte), or exactly one of eq, ne, between: [low, high]."""

    model_config = ConfigDict(extra="forbid")

    gt: Epoch | None = None
    gte: Epoch | None = None
    lt: Epoch | None = None
    lte: Epoch | None = None
    eq: Epoch | None = None
    ne: Epoch | None = None
    between: list[Epoch] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> NumericFilter:
        exact = [name for name in ("eq", "ne", "between") if getattr(self, name) is not None]
        bounds = [name for name in ("gt", "gte", "lt", "lte") if getattr(self, name) is not None]
        if len(exact) > 1 or (exact and bounds):
            raise ValueError(f"{' and '.join(exact + bounds)} cannot be combined in one filter")
        if not exact and not bounds:
            raise ValueError("a numeric filter needs one of gt, gte, lt, lte, eq, ne, between")
        if self.gt is not None and self.gte is not None:
            raise ValueError("gt and gte cannot be combined")
        if self.lt is not None and self.lte is not None:
            raise ValueError("lt and lte cannot be combined")
        if self.between is not None:
            if len(self.between) != 2:
                raise ValueError(
                    f"between takes exactly 2 values [low, high], got {len(self.between)}"
                )
            if self.between[0] > self.between[1]:
                raise ValueError("between: low must not exceed high")
        return self


class MemoryFilters(BaseModel):
    """The filters of long-term memory (AND of all given), shared by search and views."""

    model_config = ConfigDict(extra="forbid")

    session_id: TagFilter | None = None
    namespace: TagFilter | None = None
    user_id: TagFilter | None = None
    topics: TagFilter | None = None
    entities: TagFilter | None = None
    memory_type: TagFilter | None = None
    created_at: NumericFilter | None = None
    last_accessed: NumericFilter | None = None
    event_date: NumericFilter | None = None
