"""Run a Docket worker over our task collection: inside the API, or as its own process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from docket import Worker

from agent_memory_server.resources import Resources
from agent_memory_server.tasks.context import bind_resources

logger = logging.getLogger(__name__)


def create_worker(
    resources: Resources,
    concurrency: int,
    redelivery_timeout: timedelta = timedelta(minutes=5),
    periodic: bool = True,
) -> Worker:
    """A worker over the docket; `periodic` also schedules the automatic perpetual jobs."""
    return Worker(
        resources.docket,
        concurrency=concurrency,
        redelivery_timeout=redelivery_timeout,
        minimum_check_interval=timedelta(milliseconds=100),
        scheduling_resolution=timedelta(milliseconds=100),
        schedule_automatic_tasks=periodic,
    )


async def run_worker(
    resources: Resources, concurrency: int, redelivery_timeout: timedelta = timedelta(minutes=5)
) -> None:
    """Process tasks until cancelled. Tasks see `resources` through current_resources()."""
    bind_resources(resources)
    async with create_worker(resources, concurrency, redelivery_timeout) as worker:
        logger.info("task worker running on docket %r", resources.docket.name)
        await worker.run_forever()


def _log_worker_exit(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the embedded task worker stopped", exc_info=task.exception())


@contextlib.asynccontextmanager
async def embedded_worker(resources: Resources) -> AsyncIterator[None]:
    """Run a worker in this process while inside, if `settings.embedded_worker` (API, MCP)."""
    settings = resources.settings
    if not settings.embedded_worker:
        yield
        return
    worker = asyncio.create_task(
        run_worker(resources, settings.worker_concurrency), name="docket-worker"
    )
    worker.add_done_callback(_log_worker_exit)
    try:
        yield
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker


async def drain(resources: Resources, concurrency: int = 4) -> None:
    """Run every due task (and those they schedule) to completion, then return.

    Periodic jobs are not started here: they always have a next run queued.
    """
    bind_resources(resources)
    async with create_worker(resources, concurrency, periodic=False) as worker:
        await worker.run_until_finished()
