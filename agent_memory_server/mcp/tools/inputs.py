"""Parameter shapes of the tools: the REST field names, trimmed to what an agent sets.

They only describe the schema a model sees; every call is validated into the DTOs of
`agent_memory_server.models` (the same validation as REST), and those errors are the ones
reported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from agent_memory_server.models.filters import NumericFilter, TagFilter

Kind = Literal["semantic", "episodic", "message"]

# Filters are validated by the DTOs' TagFilter and NumericFilter; the schemas a model sees are
# written out compactly (the generated ones spell out every optional field as `anyOf null`).
_WORDS = {"type": "array", "items": {"type": "string"}}
_TIME = {"type": ["number", "string"]}
TAG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"eq": {"type": "string"}, "ne": {"type": "string"}, "any": _WORDS,
                   "all": _WORDS, "none": _WORDS},
    "additionalProperties": False,
}  # fmt: skip
TIME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **{op: _TIME for op in ("gt", "gte", "lt", "lte", "eq", "ne")},
        "between": {"type": "array", "items": _TIME, "minItems": 2, "maxItems": 2},
    },
    "additionalProperties": False,
}
TagArg = Annotated[TagFilter | None, WithJsonSchema(TAG_SCHEMA)]
TimeArg = Annotated[NumericFilter | None, WithJsonSchema(TIME_SCHEMA)]


class MemoryInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    id: str | None = None
    memory_type: Kind = "semantic"
    topics: list[str] | None = None
    entities: list[str] | None = None
    namespace: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    event_date: datetime | None = None
    pinned: bool = False
    metadata: dict[str, Any] | None = None


class MessageInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(description="user, assistant, system or tool")
    content: str
    id: str | None = None
    created_at: datetime | None = None


ModelName = Annotated[
    str | None, Field(description="Your model (e.g. gpt-4o-mini); sizes the context window")
]
WindowTokens = Annotated[int | None, Field(description="Context window in tokens; wins over model")]
