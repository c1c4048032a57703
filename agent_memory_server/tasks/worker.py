"""Run a Docket worker over our task collection: inside the API, or as its own process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from docket import CurrentExecution, Depends, Execution, Worker
from docket.dependencies import AdmissionBlocked

from agent_memory_server.metrics import Metrics
from agent_memory_server.resources import Resources, requests_models_loaded
from agent_memory_server.tasks.context import bind_resources
from agent_memory_server.tasks.worker_process import WorkerProcess, supervise

logger = logging.getLogger(__name__)


def task_timer(metrics: Metrics) -> Callable[..., AbstractAsyncContextManager[None]]:
    """A worker-level Docket dependency factory that times every task run into `metrics`.

    Docket enters worker dependencies around each run (after the task's own dependencies are
    known, before its body) and exits them with the run's exception, so the outcome is seen
    without wrapping the task functions (Docket injects their dependencies by signature).
    Outcomes: success, failure (an attempt that raised; a retry may follow), cancelled, and
    deferred (admission control such as Debounce put the run off).
    """

    @contextlib.asynccontextmanager
    async def timed(execution: Execution = CurrentExecution()) -> AsyncIterator[None]:  # noqa: B008
        start = time.perf_counter()
        outcome = "failure"
        try:
            yield
            outcome = "success"
        except AdmissionBlocked:
            outcome = "deferred"
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            metrics.observe_task(execution.function_name, outcome, time.perf_counter() - start)

    return timed


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
        dependencies={"task_timer": Depends(task_timer(resources.metrics))},
    )


async def run_worker(
    resources: Resources,
    concurrency: int,
    redelivery_timeout: timedelta = timedelta(minutes=5),
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Process tasks until cancelled. Tasks see `resources` through current_resources().

    `on_ready` is called once the worker has joined the docket.
    """
    bind_resources(resources)
    async with create_worker(resources, concurrency, redelivery_timeout) as worker:
        logger.info("task worker running on docket %r", resources.docket.name)
        if on_ready is not None:
            on_ready()
        await worker.run_forever()


def _log_worker_exit(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the embedded task worker stopped", exc_info=task.exception())


class InlineWorker:
    """The embedded worker as a task on the server's event loop (EMBEDDED_WORKER_MODE=inline)."""

    runs_tasks_here = True

    def __init__(self, task: asyncio.Task[None]) -> None:
        self.task = task

    async def metrics(self) -> bytes:
        return b""  # the worker reports to the server's own Metrics

    def status(self) -> str:
        if not self.task.done():
            return "ok"
        error = None if self.task.cancelled() else self.task.exception()
        return f"the embedded worker stopped: {error!r}" if error else "the embedded worker stopped"


EmbeddedWorker = InlineWorker | WorkerProcess


@contextlib.asynccontextmanager
async def embedded_worker(resources: Resources) -> AsyncIterator[EmbeddedWorker | None]:
    """Run a worker for this server while inside, if `settings.embedded_worker` (API, MCP):
    a child process (tasks/worker_process.py) or, EMBEDDED_WORKER_MODE=inline, a task here.

    Yields its handle (None without one), whose `status()` the readiness check reports.
    """
    settings = resources.settings
    if not settings.embedded_worker:
        yield None
        return
    if settings.embedded_worker_mode == "process":
        # started once the server's own model is loaded: its start-up keeps the cores
        process, supervisor = supervise(
            settings, resources.redis_url, lambda: requests_models_loaded(resources)
        )
        try:
            yield process
        finally:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
            await process.stop()
        return
    worker = asyncio.create_task(
        run_worker(resources, settings.worker_concurrency), name="docket-worker"
    )
    worker.add_done_callback(_log_worker_exit)
    try:
        yield InlineWorker(worker)
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
