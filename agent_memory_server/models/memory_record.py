"""Long-term memory records (stored in working memory until promoted)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_memory_server.models.common import Identifier, UTCDateTime, new_id, utcnow
from agent_memory_server.models.json_values import JSONObject


class MemoryType(StrEnum):
    """What kind of memory a record holds."""

    SEMANTIC = "semantic"
    EPISODIC = "episodic"
    MESSAGE = "message"


class MemoryRecord(BaseModel):
    """One long-term memory: a fact, an event or a message, with who and what it is about."""

    id: Identifier = Field(default_factory=new_id)
    text: str = Field(min_length=1, max_length=100_000)
    session_id: Identifier | None = None
    user_id: Identifier | None = None
    namespace: Identifier | None = None
    memory_type: MemoryType = MemoryType.SEMANTIC
    topics: list[str] | None = None
    entities: list[str] | None = None
    pinned: bool = False
    access_count: int = Field(default=0, ge=0)
    created_at: UTCDateTime = Field(default_factory=utcnow)
    updated_at: UTCDateTime = Field(default_factory=utcnow)
    last_accessed: UTCDateTime = Field(default_factory=utcnow)
    persisted_at: UTCDateTime | None = None
    event_date: UTCDateTime | None = None
    memory_hash: str | None = None
    discrete_memory_extracted: Literal["t", "f"] = "f"
    extracted_from: list[str] | None = None
    extraction_strategy: str | None = None
    metadata: JSONObject | None = None


class ExportedMemoryRecord(MemoryRecord):
    """One line of an export file: a whole record; the id is required, unknown fields refused."""

    model_config = ConfigDict(extra="forbid")

    id: Identifier
