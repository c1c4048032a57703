"""The client's data models: the shapes of the server's REST API.

Class and field names follow agent-memory-client 0.14 where it has the same thing. Answers
ignore fields they do not know, so a newer server does not break an older client.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_memory_sdk._ulid import new_ulid

SearchMode = Literal["semantic", "keyword", "hybrid"]
ModelNameLiteral = str  # 0.14 listed model names; the server accepts any name it can size


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryTypeEnum(StrEnum):
    EPISODIC = "episodic"
    SEMANTIC = "semantic"
    MESSAGE = "message"


class MemoryStrategyConfig(BaseModel):
    """How messages of a session are turned into long-term memories."""

    strategy: Literal["discrete", "summary", "preferences", "custom"] = "discrete"
    config: dict[str, Any] = Field(default_factory=dict)


class MemoryMessage(BaseModel):
    """One chat message of a session."""

    role: str
    content: str
    id: str = Field(default_factory=new_ulid)
    created_at: datetime = Field(default_factory=_now)
    persisted_at: datetime | None = None
    discrete_memory_extracted: Literal["t", "f"] = "f"


class MemoryRecord(BaseModel):
    """One long-term memory."""

    id: str
    text: str
    session_id: str | None = None
    user_id: str | None = None
    namespace: str | None = None
    memory_type: MemoryTypeEnum = MemoryTypeEnum.MESSAGE
    topics: list[str] | None = None
    entities: list[str] | None = None
    pinned: bool = False
    access_count: int = 0
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    last_accessed: datetime = Field(default_factory=_now)
    persisted_at: datetime | None = None
    event_date: datetime | None = None
    memory_hash: str | None = None
    discrete_memory_extracted: Literal["t", "f"] = "f"
    extracted_from: list[str] | None = None
    extraction_strategy: str | None = None
    metadata: dict[str, Any] | None = None


class ClientMemoryRecord(MemoryRecord):
    """A memory the client creates: the id is generated (a ULID).

    As in 0.14 the type defaults to `message`; pass memory_type=MemoryTypeEnum.SEMANTIC for a
    fact (the server's compaction only merges semantic and episodic memories)."""

    id: str = Field(default_factory=new_ulid)


class WorkingMemory(BaseModel):
    """A session: messages, memories to promote, JSON data and the running summary."""

    session_id: str
    namespace: str | None = None
    user_id: str | None = None
    messages: list[MemoryMessage] = Field(default_factory=list)
    memories: list[MemoryRecord] = Field(default_factory=list)
    data: dict[str, Any] | None = None
    context: str | None = None
    tokens: int = 0
    long_term_memory_strategy: MemoryStrategyConfig = Field(default_factory=MemoryStrategyConfig)
    ttl_seconds: int | None = None
    last_accessed: datetime | None = None


class WorkingMemoryResponse(WorkingMemory):
    """A stored session plus how much of the model's window it fills."""

    created_at: datetime | None = None
    updated_at: datetime | None = None
    context_window_max: int | None = None
    extraction_status: dict[str, Any] | None = None
    context_percentage_total_used: float | None = None
    context_percentage_until_summarization: float | None = None
    new_session: bool | None = None
    unsaved: bool | None = None


class AckResponse(BaseModel):
    status: str


class HealthCheckResponse(BaseModel):
    now: float


class LivenessResponse(BaseModel):
    status: str


class ReadinessResponse(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.status == "ready"


class SessionListResponse(BaseModel):
    sessions: list[str]
    total: int


class SessionOverview(BaseModel):
    """One session of GET /v1/sessions: its size against its window, not its messages."""

    session_id: str
    namespace: str | None = None
    user_id: str | None = None
    message_count: int = 0
    tokens: int = 0
    context_window_max: int | None = None
    summarization_threshold_tokens: int | None = None
    context_percentage_total_used: float | None = None
    context_percentage_until_summarization: float | None = None
    has_summary: bool = False
    ttl_seconds: int | None = None
    expires_in_seconds: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_accessed: datetime | None = None
    extraction_status: dict[str, Any] | None = None


class SessionOverviewList(BaseModel):
    sessions: list[SessionOverview]
    total: int


class FacetCount(BaseModel):
    value: str
    count: int


class FacetResponse(BaseModel):
    """Answer of POST /v1/long-term-memory/facets: per field, its most frequent values."""

    total: int
    facets: dict[str, list[FacetCount]]


class LegacyMemoryResponse(BaseModel):
    """Answer of the original GET /sessions/{id}/memory."""

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


class MemoryRecordResult(MemoryRecord):
    dist: float
    score: float | None = None
    score_type: str | None = None


class MemoryRecordResults(BaseModel):
    memories: list[MemoryRecordResult]
    total: int
    next_offset: int | None = None


class RecencyConfig(BaseModel):
    """Recency-aware re-ranking of a search (field names of 0.14)."""

    recency_boost: bool | None = None
    semantic_weight: float | None = None
    recency_weight: float | None = None
    freshness_weight: float | None = None
    novelty_weight: float | None = None
    half_life_last_access_days: float | None = None
    half_life_created_days: float | None = None
    server_side_recency: bool | None = None

    def to_json(self) -> dict[str, Any]:
        names = {
            "recency_boost": "recency_boost",
            "semantic_weight": "recency_semantic_weight",
            "recency_weight": "recency_recency_weight",
            "freshness_weight": "recency_freshness_weight",
            "novelty_weight": "recency_novelty_weight",
            "half_life_last_access_days": "recency_half_life_last_access_days",
            "half_life_created_days": "recency_half_life_created_days",
            "server_side_recency": "server_side_recency",
        }
        given = self.model_dump(exclude_none=True)
        return {names[key]: value for key, value in given.items()}


class PromptMessage(BaseModel):
    role: str
    content: dict[str, str]

    @property
    def text(self) -> str:
        return self.content.get("text", "")


class MemoryPromptResponse(BaseModel):
    messages: list[PromptMessage]
    long_term_memories: list[MemoryRecordResult] = Field(default_factory=list)


class ForgetPolicy(BaseModel):
    max_age_days: float | None = None
    max_inactive_days: float | None = None
    budget: int | None = None
    memory_type_allowlist: list[str] | None = None
    hard_age_multiplier: float | None = None


class ForgetResponse(BaseModel):
    scanned: int
    deleted: int
    deleted_ids: list[str]
    dry_run: bool


class CompactResponse(BaseModel):
    scanned: int
    exact_duplicates_removed: int
    semantic_merged: int
    kept: int


class ModeledTopic(BaseModel):
    label: str
    keywords: list[str]
    memory_count: int
    memory_ids: list[str]


class TopicModelResponse(BaseModel):
    memories: int
    outliers: int
    topics: list[ModeledTopic]
    applied: int


class ErasureResponse(BaseModel):
    sessions_deleted: int
    memories_deleted: int
    summaries_deleted: int


class CreateSummaryViewRequest(BaseModel):
    name: str | None = None
    source: str = "long_term"
    group_by: list[str] = Field(default_factory=list)
    filters: dict[str, Any] = Field(default_factory=dict)
    time_window_days: int | None = None
    continuous: bool = False
    prompt: str | None = None
    model_name: str | None = None


class SummaryView(CreateSummaryViewRequest):
    id: str
    created_at: datetime | None = None


class SummaryViewPartitionResult(BaseModel):
    view_id: str
    group: dict[str, str]
    summary: str
    memory_count: int
    total_memories: int | None = None
    computed_at: datetime


class TaskStatusEnum(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class Task(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    type: str
    status: TaskStatusEnum
    view_id: str | None = None
    force: bool = False
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error_message: str | None = None
    partitions_total: int | None = None
    partitions_computed: int | None = None
