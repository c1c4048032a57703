"""Maintenance DTOs: the forgetting policy and request, and the forget / compact answers.

Field names follow the `agent-memory-client` package (ForgetPolicy, ForgetResponse); the
rules that apply a policy are in services/forgetting.py.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent_memory_server.models.common import Identifier
from agent_memory_server.models.memory_record import MemoryType

MAX_DAYS = 1_000_000


class ForgetPolicy(BaseModel):
    """What to forget: by age, by inactivity, beyond a budget; only some memory types."""

    model_config = ConfigDict(extra="forbid")

    max_age_days: float | None = Field(
        default=None, ge=0, le=MAX_DAYS, description="Forget memories created longer ago."
    )
    max_inactive_days: float | None = Field(
        default=None, ge=0, le=MAX_DAYS, description="Forget memories not accessed for longer."
    )
    budget: int | None = Field(
        default=None, ge=0, description="Keep at most this many (the most recently active)."
    )
    memory_type_allowlist: list[MemoryType] | None = Field(
        default=None, min_length=1, description="Only these memory types may be forgotten."
    )
    hard_age_multiplier: float | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="With max_age_days: older than max_age_days * this goes even if active.",
    )

    @model_validator(mode="after")
    def _meaningful(self) -> ForgetPolicy:
        if self.max_age_days is None and self.max_inactive_days is None and self.budget is None:
            raise ValueError(
                "a forget policy needs at least one of max_age_days, max_inactive_days, budget"
            )
        if self.hard_age_multiplier is not None and self.max_age_days is None:
            raise ValueError("hard_age_multiplier needs max_age_days")
        return self


class ForgetRequest(BaseModel):
    """Body of POST /v1/long-term-memory/forget."""

    model_config = ConfigDict(extra="forbid")

    policy: ForgetPolicy
    pinned_ids: list[Identifier] = Field(
        default_factory=list, max_length=100_000, description="Never forget these ids."
    )


class ForgetResponse(BaseModel):
    scanned: int = Field(description="Memories in scope that were looked at.")
    deleted: int = Field(description="Memories forgotten (with dry_run: that would be).")
    deleted_ids: list[str]
    dry_run: bool


class CompactResponse(BaseModel):
    scanned: int = Field(description="Memories in scope that were looked at.")
    exact_duplicates_removed: int = Field(description="Copies of the same text deleted.")
    semantic_merged: int = Field(description="Near-duplicates merged into another memory.")
    kept: int = Field(description="Memories of those scanned that remain.")


class CompactionGroup(BaseModel):
    """Records a compaction would merge: the one kept and those it absorbs."""

    kind: Literal["exact", "similar"] = Field(description="exact copies, or near-duplicates")
    keep_id: str
    keep_text: str
    absorbed_ids: list[str]
    absorbed_texts: list[str]


class CompactionPlan(CompactResponse):
    """A dry run of compaction: the counts a run would report and the groups it would merge."""

    dry_run: bool = True
    groups: list[CompactionGroup]


class TopicModelRequest(BaseModel):
    """Corpus-level topic modelling of a scope's memories (BERTopic, the optional extra)."""

    namespace: Identifier | None = Field(default=None, description="None: every namespace.")
    user_id: Identifier | None = Field(default=None, description="None: every user.")
    min_topic_size: int = Field(
        default=5, ge=2, le=1000, description="Fewest memories a topic may have."
    )
    apply: bool = Field(
        default=False, description="Add each topic's label to the topics of its memories."
    )


class ModeledTopic(BaseModel):
    label: str = Field(description="The topic's three most distinctive words.")
    keywords: list[str] = Field(description="Its most distinctive words, best first.")
    memory_count: int
    memory_ids: list[str]


class TopicModelResponse(BaseModel):
    memories: int = Field(description="Memories modelled (the newest of the scope).")
    outliers: int = Field(description="Memories that fit no topic.")
    topics: list[ModeledTopic] = Field(description="Largest first.")
    applied: int = Field(description="Memories whose topics gained a label (with apply).")


class ErasureResponse(BaseModel):
    sessions_deleted: int = Field(description="Working-memory sessions deleted.")
    memories_deleted: int = Field(description="Long-term memories deleted.")
    summaries_deleted: int = Field(description="Summary-view partitions of this user deleted.")
