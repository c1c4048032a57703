"""Run a Docket worker over our task collection: inside the API, or as its own process."""

from __future__ import annotations

import logging
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


async def drain(resources: Resources, concurrency: int = 4) -> None:
    """Run every due task (and those they schedule) to completion, then return.

    Periodic jobs are not started here: they always have a next run queued.
    """
    bind_resources(resources)
    async with create_worker(resources, concurrency, periodic=False) as worker:
        await worker.run_until_finished()
