"""create_app(settings) -> FastAPI. The lifespan opens Resources and the embedded worker."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from agent_memory_server import __version__
from agent_memory_server.api.auth import AuthMiddleware
from agent_memory_server.api.errors import install_error_handlers
from agent_memory_server.api.routes import (
    health,
    long_term,
    maintenance,
    prompt,
    sessions,
    summary_views,
    tasks,
    working_memory,
)
from agent_memory_server.config import Settings
from agent_memory_server.resources import open_resources
from agent_memory_server.tasks.worker import run_worker

logger = logging.getLogger(__name__)


def _log_worker_exit(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the embedded task worker stopped", exc_info=task.exception())


def _freeze_startup_heap() -> None:
    """Move what start-up built (models, tokenizers, clients) out of the collector's reach.

    Those objects live as long as the process; without this every full collection walks
    them all, a pause of tens to hundreds of milliseconds in the middle of a request.
    """
    gc.collect()
    gc.freeze()


def create_app(settings: Settings) -> FastAPI:
    """The REST API over one set of Resources, opened and closed by the app's lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            app.state.resources = resources
            _freeze_startup_heap()
            worker: asyncio.Task[None] | None = None
            if settings.embedded_worker:
                worker = asyncio.create_task(
                    run_worker(resources, settings.worker_concurrency), name="docket-worker"
                )
                worker.add_done_callback(_log_worker_exit)
            try:
                yield
            finally:
                if worker is not None:
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker

    app = FastAPI(
        title="agent-memory-server",
        version=__version__,
        description="Working and long-term memory for AI agents.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(AuthMiddleware)
    app.include_router(health.router)
    app.include_router(working_memory.router)
    app.include_router(sessions.router)
    app.include_router(long_term.router)
    app.include_router(maintenance.router)
    app.include_router(prompt.router)
    app.include_router(summary_views.router)
    app.include_router(tasks.router)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and `agent-memory api --reload`: settings from the env."""
    return create_app(Settings())
