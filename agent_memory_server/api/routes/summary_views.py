"""/v1/summary-views: summaries of long-term memory per user, namespace, session or type."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from agent_memory_server.api.deps import ResourcesDep
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.models.common import IDENTIFIER_PATTERN, Identifier
from agent_memory_server.models.summary_views import (
    CreateSummaryViewRequest,
    RunPartitionRequest,
    RunSummaryViewRequest,
    SummaryView,
    SummaryViewPartitionResult,
    Task,
)
from agent_memory_server.models.working_memory import AckResponse
from agent_memory_server.services import summary_view_runs as runs
from agent_memory_server.services import summary_views as service

router = APIRouter(tags=["summary views"], route_class=StrictJSONRoute)

ViewId = Annotated[str, Path(min_length=1, max_length=256, pattern=IDENTIFIER_PATTERN)]
GroupValue = Annotated[Identifier | None, Query(description="Only partitions with this value")]


@router.post("/v1/summary-views", response_model=SummaryView)
async def create_summary_view(
    body: CreateSummaryViewRequest, resources: ResourcesDep
) -> SummaryView:
    """Create a summary view: filters, group_by fields, prompt."""
    return await service.create_view(resources, body)


@router.get("/v1/summary-views", response_model=list[SummaryView])
async def list_summary_views(resources: ResourcesDep) -> list[SummaryView]:
    """Every summary view, oldest first."""
    return await service.list_views(resources)


@router.get("/v1/summary-views/{view_id}", response_model=SummaryView)
async def get_summary_view(view_id: ViewId, resources: ResourcesDep) -> SummaryView:
    """One summary view by id."""
    return await service.get_view(resources, view_id)


@router.delete("/v1/summary-views/{view_id}", response_model=AckResponse)
async def delete_summary_view(view_id: ViewId, resources: ResourcesDep) -> AckResponse:
    """Delete a summary view and its stored partition summaries."""
    await service.delete_view(resources, view_id)
    return AckResponse(status="ok")


@router.post(
    "/v1/summary-views/{view_id}/partitions/run", response_model=SummaryViewPartitionResult
)
async def run_summary_view_partition(
    view_id: ViewId, body: RunPartitionRequest, resources: ResourcesDep
) -> SummaryViewPartitionResult:
    """Summarize one partition now (a value for each group_by field) and store it."""
    return await service.run_partition(resources, view_id, body.group)


@router.get(
    "/v1/summary-views/{view_id}/partitions", response_model=list[SummaryViewPartitionResult]
)
async def list_summary_view_partitions(
    view_id: ViewId,
    resources: ResourcesDep,
    namespace: GroupValue = None,
    user_id: GroupValue = None,
    session_id: GroupValue = None,
    memory_type: GroupValue = None,
) -> list[SummaryViewPartitionResult]:
    """Stored partition summaries of a view, optionally only some groups."""
    given = {
        "namespace": namespace, "user_id": user_id, "session_id": session_id,
        "memory_type": memory_type,
    }  # fmt: skip
    selector = {field: value for field, value in given.items() if value is not None}
    return await service.list_partitions(resources, view_id, selector)


@router.post("/v1/summary-views/{view_id}/run", response_model=Task)
async def run_summary_view(
    view_id: ViewId, resources: ResourcesDep, body: RunSummaryViewRequest | None = None
) -> Task:
    """Recompute every partition in the background; poll the task at /v1/tasks/{id}."""
    force = body.force if body is not None else False
    return await runs.start_run(resources, view_id, force)
