"""Working memory DTOs: messages, sessions and the shapes of the session routes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from agent_memory_server.models.common import (
    STORED,
    Identifier,
    UTCDateTime,
    new_id,
    utcnow,
)
from agent_memory_server.models.json_values import JSONObject
from agent_memory_server.models.memory_record import MemoryRecord

MAX_FUTURE = timedelta(minutes=5)


class MemoryMessage(BaseModel):
    """One chat message of a session."""

    role: str = Field(min_length=1, max_length=64, description="user, assistant, system, tool...")
    content: str = Field(max_length=1_000_000)
    id: Identifier = Field(default_factory=new_id)
    created_at: UTCDateTime = Field(default_factory=utcnow)
    persisted_at: UTCDateTime | None = None
    discrete_memory_extracted: Literal["t", "f"] = "f"

    @field_validator("created_at")
    @classmethod
    def _not_in_future(cls, value: UTCDateTime, info: ValidationInfo) -> UTCDateTime:
        if info.context is not STORED and value > utcnow() + MAX_FUTURE:
            raise ValueError(f"created_at {value.isoformat()} is more than 5 minutes in the future")
        return value


class MemoryStrategyConfig(BaseModel):
    """How messages of the session are turned into long-term memories."""

    strategy: Literal["discrete", "summary", "preferences", "custom"] = "discrete"
    config: JSONObject = Field(default_factory=dict)


class WorkingMemory(BaseModel):
    """The body of PUT /v1/working-memory/{session_id}: a full session."""

    session_id: Identifier | None = Field(
        default=None, description="Must equal the path's session id when given."
    )
    namespace: Identifier | None = None
    user_id: Identifier | None = None
    messages: list[MemoryMessage] = Field(
        default_factory=list, description="At most MAX_MESSAGES_PER_REQUEST (10,000) messages."
    )
    memories: list[MemoryRecord] = Field(default_factory=list, max_length=1000)
    data: JSONObject | None = None
    context: str | None = Field(default=None, max_length=1_000_000)
    tokens: int = Field(default=0, ge=0, description="Ignored on write: the server counts.")
    long_term_memory_strategy: MemoryStrategyConfig = Field(default_factory=MemoryStrategyConfig)
    ttl_seconds: int | None = Field(default=None, ge=1, le=10 * 365 * 24 * 3600)
    last_accessed: UTCDateTime | None = None


class StoredWorkingMemory(BaseModel):
    """A session as stored in Redis and returned by the API."""

    session_id: str
    namespace: str | None = None
    user_id: str | None = None
    messages: list[MemoryMessage] = Field(default_factory=list)
    memories: list[MemoryRecord] = Field(default_factory=list)
    data: JSONObject | None = None
    context: str | None = None
    tokens: int = 0
    long_term_memory_strategy: MemoryStrategyConfig = Field(default_factory=MemoryStrategyConfig)
    ttl_seconds: int | None = None
    created_at: UTCDateTime = Field(default_factory=utcnow)
    updated_at: UTCDateTime = Field(default_factory=utcnow)
    last_accessed: UTCDateTime = Field(default_factory=utcnow)
    context_window_max: int | None = Field(
        default=None, description="Window the session was last sized by (from model/window)."
    )
    extraction_status: JSONObject | None = Field(
        default=None,
        description="Background extraction of memories from the messages: state "
        "(pending, running, failed, done), error, updated_at.",
    )


class WorkingMemoryResponse(StoredWorkingMemory):
    """A session plus how much of the client model's window it fills."""

    context_percentage_total_used: float | None = None
    context_percentage_until_summarization: float | None = None
    new_session: bool | None = None
    unsaved: bool | None = None


class SessionListResponse(BaseModel):
    sessions: list[str]
    total: int


class AckResponse(BaseModel):
    status: str


class HealthResponse(BaseModel):
    now: float


class AppendRequest(BaseModel):
    """Body of POST /sessions/{id}/memory: messages to append, optionally a new context."""

    messages: list[MemoryMessage] = Field(
        default_factory=list, description="At most MAX_MESSAGES_PER_REQUEST (10,000) messages."
    )
    context: str | None = Field(default=None, max_length=1_000_000)
    namespace: Identifier | None = None
    user_id: Identifier | None = None
    ttl_seconds: int | None = Field(default=None, ge=1, le=10 * 365 * 24 * 3600)


class LegacyMemoryResponse(BaseModel):
    """Answer of GET /sessions/{id}/memory."""

    messages: list[MemoryMessage]
    context: str | None = None
    tokens: int = 0
    namespace: str | None = None
    user_id: str | None = None


class LegacySessionList(BaseModel):
    sessions: list[str]
    total: int
    page: int
    size: int


def dump(model: BaseModel, as_: type[BaseModel] | None = None) -> dict[str, Any]:
    """JSON-ready dict of a model (datetimes as ISO strings); only the fields of `as_` if given."""
    if as_ is None:
        return model.model_dump(mode="json")
    return model.model_dump(mode="json", include=set(as_.model_fields))


class SessionOverview(BaseModel):
    """One session of GET /v1/sessions: its size against its window, not its messages."""

    session_id: str
    namespace: str | None = None
    user_id: str | None = None
    message_count: int = 0
    tokens: int = 0
    context_window_max: int | None = None
    summarization_threshold_tokens: int | None = Field(
        default=None, description="Tokens past which the session is summarized (with a window)."
    )
    context_percentage_total_used: float | None = None
    context_percentage_until_summarization: float | None = None
    has_summary: bool = False
    ttl_seconds: int | None = None
    expires_in_seconds: int | None = Field(default=None, description="None: never expires.")
    created_at: UTCDateTime | None = None
    updated_at: UTCDateTime | None = None
    last_accessed: UTCDateTime | None = None
    extraction_status: JSONObject | None = None


class SessionOverviewList(BaseModel):
    sessions: list[SessionOverview]
    total: int
