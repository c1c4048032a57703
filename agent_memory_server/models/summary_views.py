"""Summary views over long-term memory, their partition results, and background tasks.

Field names follow the `agent-memory-client` package (SummaryView, CreateSummaryViewRequest,
SummaryViewPartitionResult, Task); the rules that compute a view are in
services/summary_views.py.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from agent_memory_server.models.common import Identifier, UTCDateTime, new_id, utcnow
from agent_memory_server.models.filters import MemoryFilters

GroupField = Literal["user_id", "namespace", "session_id", "memory_type"]
GROUP_FIELDS: tuple[str, ...] = get_args(GroupField)
MAX_PROMPT = 4000


class SummaryViewFilters(MemoryFilters):
    """Which records a view covers: the filters of a long-term search (AND of all given).

    A plain string is taken as `{"eq": value}` and a list of strings as `{"any": [...]}`,
    so `{"memory_type": "semantic"}` works as well as `{"memory_type": {"eq": "semantic"}}`.
    """

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        tags = ("session_id", "namespace", "user_id", "topics", "entities", "memory_type")
        expanded = dict(data)
        for name in tags:
            value = data.get(name)
            if isinstance(value, str):
                expanded[name] = {"eq": value}
            elif isinstance(value, list):
                expanded[name] = {"any": value}
        return expanded

    def given(self) -> dict[str, Any]:
        """The filters that are set, as JSON (what a view shows and stores)."""
        return self.model_dump(mode="json", exclude_none=True)


class CreateSummaryViewRequest(BaseModel):
    """Body of POST /v1/summary-views."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    source: str = Field(default="long_term", description="long_term (the only source so far)")
    group_by: list[str] = Field(
        default_factory=list,
        max_length=len(GROUP_FIELDS),
        description="Partition by these fields: user_id, namespace, session_id, memory_type. "
        "Empty: one partition over every matching record.",
    )
    filters: SummaryViewFilters = Field(default_factory=SummaryViewFilters)
    time_window_days: int | None = Field(
        default=None, ge=1, le=36_500, description="Only records created in the last N days."
    )
    continuous: bool = Field(
        default=False,
        description="Refreshed by the background workers every SUMMARY_VIEW_REFRESH_MINUTES "
        "(only partitions whose memories changed are summarized again).",
    )
    prompt: str | None = Field(
        default=None, max_length=MAX_PROMPT, description="Instructions for the LLM summary."
    )
    model_name: str | None = Field(
        default=None, max_length=128, description="Chat model for this view's summaries."
    )

    @field_validator("source")
    @classmethod
    def _long_term_only(cls, value: str) -> str:
        if value == "working_memory":
            raise ValueError(
                "source 'working_memory' is not supported yet: summary views cover long-term "
                "memory only; use source 'long_term'"
            )
        if value != "long_term":
            raise ValueError(f"unknown source {value!r}; use 'long_term'")
        return value

    @field_validator("group_by")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in GROUP_FIELDS]
        if unknown:
            raise ValueError(
                f"cannot group by {', '.join(map(repr, unknown))}; "
                f"group_by takes a subset of {', '.join(GROUP_FIELDS)}"
            )
        if len(set(value)) != len(value):
            raise ValueError("group_by names a field more than once")
        return value

    @field_validator("filters", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("continuous", mode="before")
    @classmethod
    def _null_is_false(cls, value: Any) -> Any:
        return False if value is None else value


class SummaryView(CreateSummaryViewRequest):
    """A stored view: its definition, an id and when it was created."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=new_id)
    created_at: UTCDateTime = Field(default_factory=utcnow)

    @field_serializer("filters")
    def _filters_given(self, filters: SummaryViewFilters) -> dict[str, Any]:
        return filters.given()


class RunPartitionRequest(BaseModel):
    """Body of POST /v1/summary-views/{id}/partitions/run."""

    group: dict[str, Identifier] = Field(
        default_factory=dict,
        max_length=len(GROUP_FIELDS),
        description="A value for each of the view's group_by fields.",
    )


class RunSummaryViewRequest(BaseModel):
    """Body of POST /v1/summary-views/{id}/run."""

    force: bool = Field(
        default=False, description="Recompute partitions whose memories did not change, too."
    )


class SummaryViewPartitionResult(BaseModel):
    """The summary of one partition (one combination of the view's group_by values)."""

    view_id: str
    group: dict[str, str]
    summary: str
    memory_count: int = Field(description="Memories the summary was made from.")
    total_memories: int = Field(
        description="Memories in the partition; more than memory_count when the newest ones "
        "filled the summarizer's input budget."
    )
    computed_at: UTCDateTime


class TaskStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class Task(BaseModel):
    """A background task: a full run of a summary view."""

    id: str = Field(default_factory=new_id)
    type: str = "summary_view_full_run"
    status: TaskStatus = TaskStatus.PENDING
    view_id: str | None = None
    force: bool = False
    created_at: UTCDateTime = Field(default_factory=utcnow)
    started_at: UTCDateTime | None = None
    completed_at: UTCDateTime | None = None
    error_message: str | None = None
    partitions_total: int | None = Field(default=None, description="Partitions of the view.")
    partitions_computed: int | None = Field(
        default=None, description="Partitions summarized again (the others had not changed)."
    )
