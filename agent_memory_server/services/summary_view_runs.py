"""Full runs of summary views as tracked background tasks, on demand or periodic.

A run is a task record (pending -> running -> completed | failed) and a queued Docket task
that summarizes every partition of the view again (services/summary_views.py). Continuous
views are run again every SUMMARY_VIEW_REFRESH_MINUTES; a run without `force` recomputes only
the partitions whose memories changed, so a refresh of an unchanged view costs no LLM call.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from agent_memory_server.errors import MemoryServerError, NotFound
from agent_memory_server.models.common import utcnow
from agent_memory_server.models.summary_views import Task, TaskStatus
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.services.scheduler import check_registered, enqueue
from agent_memory_server.services.summary_views import get_view, list_views, refresh_view
from agent_memory_server.storage.summary_views import SummaryViewStore

logger = logging.getLogger(__name__)

RUN_TASK = "run_summary_view_task"
TASK_TTL = timedelta(days=7)  # finished tasks are kept this long


def _now() -> str:
    """Now as the ISO string pydantic writes for the task's other times."""
    return utcnow().isoformat().replace("+00:00", "Z")


async def start_run(resources: Resources, view_id: str, force: bool) -> Task:
    """Record a pending task and queue the full run of the view."""
    tenancy.require_unbound("Summary views and their tasks")
    await get_view(resources, view_id)
    check_registered(resources, RUN_TASK)
    task = Task(view_id=view_id, force=force)
    await resources.summary_views.put_task(task.id, task.model_dump(mode="json"))
    await enqueue(resources, RUN_TASK, task.id, view_id, key=task.id)
    return task


async def refresh_continuous_views(resources: Resources) -> list[Task]:
    """Start a run (without force) of every continuous view; the tasks started."""
    views = [view for view in await list_views(resources) if view.continuous]
    return [await start_run(resources, view.id, force=False) for view in views]


async def get_task(resources: Resources, task_id: str) -> Task:
    tenancy.require_unbound("Summary views and their tasks")
    doc = await resources.summary_views.get_task(task_id)
    if doc is None:
        raise NotFound(f"Task {task_id!r} not found")
    return Task.model_validate(doc)


async def execute_run(
    resources: Resources, task_id: str, view_id: str, *, last_attempt: bool
) -> Task | None:
    """The body of a full-run task, safe to deliver twice; None if the task record is gone.

    A finished task is left as it is. A failure that a retry may fix (LLM, Redis) is noted on
    the still-running task and raised for the queue to retry; on the last attempt, or for a
    failure no retry can fix (the view was deleted), the task fails with the reason.
    """
    store = resources.summary_views
    task = await store.get_task(task_id)
    if task is None:
        logger.warning("summary view task %s has no record (expired?); nothing to run", task_id)
        return None
    if task["status"] in (TaskStatus.COMPLETED, TaskStatus.FAILED):
        return Task.model_validate(task)
    started = task.get("started_at") or _now()
    await store.update_task(task_id, {"status": TaskStatus.RUNNING, "started_at": started})
    try:
        view = await get_view(resources, view_id)
        total, computed = await refresh_view(resources, view, bool(task.get("force")))
    except Exception as e:
        retryable = not isinstance(e, MemoryServerError) or e.retryable
        message = e.message if isinstance(e, MemoryServerError) else f"{type(e).__name__}: {e}"
        if retryable and not last_attempt:
            await store.update_task(task_id, {"error_message": f"{message} (retrying)"})
            raise
        await _finish(store, task_id, TaskStatus.FAILED, {"error_message": message})
        unexpected = not isinstance(e, MemoryServerError)  # not a domain error: keep the traceback
        logger.warning("summary view task %s failed: %s", task_id, message, exc_info=unexpected)
        return await get_task(resources, task_id)
    fields = {"error_message": None, "partitions_total": total, "partitions_computed": computed}
    await _finish(store, task_id, TaskStatus.COMPLETED, fields)
    return await get_task(resources, task_id)


async def _finish(
    store: SummaryViewStore, task_id: str, status: TaskStatus, fields: Mapping[str, object]
) -> None:
    done = {"status": status, "completed_at": _now(), **fields}
    await store.update_task(task_id, done, int(TASK_TTL.total_seconds()))
