"""Docket tasks of summary views: the full run of a view, tracked by its task record, and the
periodic refresh of continuous views (a Perpetual like the maintenance jobs: one tick a minute,
a run at most once per SUMMARY_VIEW_REFRESH_MINUTES across all workers)."""

from __future__ import annotations

from docket import Depends, ExponentialRetry, Perpetual

from agent_memory_server.resources import Resources
from agent_memory_server.services.summary_view_runs import execute_run, refresh_continuous_views
from agent_memory_server.tasks.context import Caller, as_caller, current_resources, default_retry
from agent_memory_server.tasks.upkeep_tasks import TICK, due


async def run_summary_view_task(
    task_id: str,
    view_id: str,
    caller: Caller = None,
    retry: ExponentialRetry = default_retry(),  # noqa: B008 - Docket reads dependencies from defaults
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> str | None:
    """Summarize every partition of a view; the task record goes running -> completed/failed.

    A failed attempt that a retry may fix is retried with back-off; the last one fails the task.
    """
    last_attempt = retry.attempts is not None and retry.attempt >= retry.attempts
    with as_caller(caller):
        task = await execute_run(resources, task_id, view_id, last_attempt=last_attempt)
    return None if task is None else task.status.value


async def periodic_summary_views(
    caller: Caller = None,  # queued by Docket itself: always None
    perpetual: Perpetual = Perpetual(every=TICK, automatic=True),  # noqa: B008
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> int:
    """Start a run of every continuous view once per SUMMARY_VIEW_REFRESH_MINUTES (0 = off)."""
    minutes = resources.settings.summary_view_refresh_minutes
    if not await due(perpetual, resources, "summary_views", minutes):
        return 0
    return len(await refresh_continuous_views(resources))


SUMMARY_VIEW_TASKS = [run_summary_view_task, periodic_summary_views]
