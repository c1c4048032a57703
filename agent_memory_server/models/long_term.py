"""Long-term memory DTOs: create, edit, search and the memory prompt."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent_memory_server.models.common import Identifier, UTCDateTime
from agent_memory_server.models.filters import MemoryFilters
from agent_memory_server.models.json_values import JSONObject
from agent_memory_server.models.memory_record import MemoryRecord, MemoryType

SearchMode = Literal["semantic", "keyword", "hybrid"]


class CreateMemoryRequest(BaseModel):
    memories: list[MemoryRecord] = Field(min_length=1, max_length=1000)
    deduplicate: bool = True


class EditMemoryRequest(BaseModel):
    """Fields of a record that may be edited; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1, max_length=100_000)
    topics: list[str] | None = None
    entities: list[str] | None = None
    memory_type: MemoryType | None = None
    namespace: Identifier | None = None
    user_id: Identifier | None = None
    session_id: Identifier | None = None
    event_date: UTCDateTime | None = None
    pinned: bool | None = None
    metadata: JSONObject | None = None


class SearchRequest(MemoryFilters):
    """A long-term memory search: text (empty = filter-only listing), mode and filters."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=10_000)
    search_mode: SearchMode = "semantic"
    hybrid_alpha: float | None = Field(
        default=None, ge=0, le=1, description="Weight of the semantic leg in hybrid (0-1)."
    )
    distance_threshold: float | None = Field(default=None, ge=0, le=2)
    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000)
    now: UTCDateTime | None = Field(
        default=None,
        description="The asker's now, for relative dates in the text (default: the server's).",
    )

    recency_boost: bool = False
    recency_semantic_weight: float = Field(default=0.8, ge=0, le=1)
    recency_recency_weight: float = Field(default=0.2, ge=0, le=1)
    recency_freshness_weight: float = Field(default=0.6, ge=0, le=1)
    recency_novelty_weight: float = Field(default=0.4, ge=0, le=1)
    recency_half_life_last_access_days: float = Field(default=7.0, gt=0, le=36_500)
    recency_half_life_created_days: float = Field(default=30.0, gt=0, le=36_500)
    server_side_recency: bool | None = Field(default=None, description="Accepted, ignored.")
    importance_weight: float = Field(
        default=0.0, ge=0, le=1, description="Weight of metadata.importance (0-1) in the score."
    )

    @model_validator(mode="after")
    def _threshold_needs_vectors(self) -> SearchRequest:
        if self.distance_threshold is not None and self.search_mode == "keyword":
            raise ValueError("distance_threshold applies to semantic and hybrid search only")
        return self


class MemoryRecordResult(MemoryRecord):
    dist: float = Field(description="Cosine distance to the query (0 = same meaning).")
    score: float = Field(description="Ranking score, higher is better.")
    score_type: str = Field(description="semantic, keyword, hybrid or listing")
    semantic_rank: int | None = Field(
        default=None, description="Hybrid: rank in the semantic leg (None: not found by it)."
    )
    keyword_rank: int | None = Field(
        default=None, description="Hybrid: rank in the keyword leg (None: not found by it)."
    )


class MemoryRecordResults(BaseModel):
    memories: list[MemoryRecordResult]
    total: int
    next_offset: int | None = None


class PromptSession(BaseModel):
    session_id: Identifier
    namespace: Identifier | None = None
    user_id: Identifier | None = None
    model_name: str | None = Field(default=None, max_length=128)
    context_window_max: int | None = Field(default=None, ge=256, le=10_000_000)


class MemoryPromptRequest(BaseModel):
    query: str = Field(min_length=1, max_length=100_000)
    session: PromptSession | None = None
    long_term_search: SearchRequest | bool | None = None


class PromptMessage(BaseModel):
    role: str
    content: dict[str, str]


class MemoryPromptResponse(BaseModel):
    messages: list[PromptMessage]
    long_term_memories: list[MemoryRecordResult] = Field(default_factory=list)


class MemoryPromptPreview(MemoryPromptResponse):
    """The prompt with the tokens of each message (POST /v1/memory/prompt?token_counts=true)."""

    token_counts: list[int] = Field(description="Tokens of each message, in order.")
    total_tokens: int


FacetField = Literal["namespace", "user_id", "session_id", "topics", "entities", "memory_type"]
DEFAULT_FACETS: tuple[FacetField, ...] = ("topics", "entities")


class FacetRequest(MemoryFilters):
    """Counts of the values of some fields among the memories the filters match."""

    model_config = ConfigDict(extra="forbid")

    fields: list[FacetField] = Field(
        default_factory=lambda: list(DEFAULT_FACETS), min_length=1, max_length=6
    )
    limit: int = Field(default=20, ge=1, le=1000, description="Most frequent values per field.")


class FacetCount(BaseModel):
    value: str
    count: int


class FacetResponse(BaseModel):
    total: int = Field(description="Memories the filters match.")
    facets: dict[str, list[FacetCount]] = Field(
        description="Per field, its most frequent values, most frequent first; a record "
        "with several topics or entities counts once for each."
    )
