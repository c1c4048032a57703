"""Docket task of summary views: the full run of a view, tracked by its task record."""

from __future__ import annotations

from docket import Depends, ExponentialRetry

from agent_memory_server.resources import Resources
from agent_memory_server.services.summary_views import execute_run
from agent_memory_server.tasks.context import current_resources, default_retry


async def run_summary_view_task(
    task_id: str,
    view_id: str,
    retry: ExponentialRetry = default_retry(),  # noqa: B008 - Docket reads dependencies from defaults
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> str | None:
    """Summarize every partition of a view; the task record goes running -> completed/failed.

    A failed attempt that a retry may fix is retried with back-off; the last one fails the task.
    """
    last_attempt = retry.attempts is not None and retry.attempt >= retry.attempts
    task = await execute_run(resources, task_id, view_id, last_attempt=last_attempt)
    return None if task is None else task.status.value


SUMMARY_VIEW_TASKS = [run_summary_view_task]
