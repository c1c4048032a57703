"""/v1/tasks: background tasks (full runs of summary views)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from agent_memory_server.api.deps import ResourcesDep
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.models.common import IDENTIFIER_PATTERN
from agent_memory_server.models.summary_views import Task
from agent_memory_server.services.summary_view_runs import get_task

router = APIRouter(tags=["tasks"], route_class=StrictJSONRoute)


@router.get("/v1/tasks/{task_id}", response_model=Task)
async def get_background_task(
    task_id: Annotated[str, Path(min_length=1, max_length=256, pattern=IDENTIFIER_PATTERN)],
    resources: ResourcesDep,
) -> Task:
    """A background task's status: pending, running, completed or failed."""
    return await get_task(resources, task_id)
