"""create_app(settings) -> FastAPI. The lifespan opens Resources, the embedded worker and MCP.

The MCP server's streamable-HTTP app is served at `/mcp` and `/{namespace}/mcp`; it borrows
the app's Resources, and is imported and built after the API listens (mcp/deferred.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from collections.abc import AsyncIterator

from fastapi import FastAPI

from agent_memory_server import __version__
from agent_memory_server.api.errors import install_error_handlers
from agent_memory_server.api.fast_reads import WorkingMemoryReads
from agent_memory_server.api.fast_writes import JsonWrites
from agent_memory_server.api.routes import (
    health,
    long_term,
    metrics,
    overview,
    prompt,
    sessions,
    summary_views,
    tasks,
    upkeep,
    users,
    working_memory,
)
from agent_memory_server.config import Settings
from agent_memory_server.http.auth import AuthMiddleware
from agent_memory_server.http.limits import BodySizeLimit
from agent_memory_server.http.observer import RequestObserver
from agent_memory_server.logs import configure_logging
from agent_memory_server.mcp.deferred import DeferredMcp
from agent_memory_server.mcp.http import namespaced_routes, transport_paths
from agent_memory_server.metrics import Metrics
from agent_memory_server.resources import Resources, open_resources, warm_models
from agent_memory_server.tasks.worker import embedded_worker
from agent_memory_server.ui import routes as ui


def _freeze_startup_heap() -> None:
    """Move what start-up built (models, tokenizers, clients) out of the collector's reach.

    Those objects live as long as the process; without this every full collection walks
    them all, a pause of tens to hundreds of milliseconds in the middle of a request.
    """
    gc.collect()
    gc.freeze()


async def _freeze_after_warm(mcp_app: DeferredMcp) -> None:
    """Freeze again once what loads after the server listens is built: the models (threads
    named warm-*) and the MCP endpoint. Without it their objects stayed in the collector's
    reach, and a full collection paused requests: PUT of 100 messages at c=32, p50 32 ms,
    p95 89 ms (benchmarks/api_load.py)."""
    loads = [t for t in threading.enumerate() if t.name.startswith("warm-")]
    await mcp_app.built()

    def join() -> None:
        for thread in loads:
            thread.join()

    await asyncio.to_thread(join)
    _freeze_startup_heap()


def create_app(settings: Settings) -> FastAPI:
    """The REST API and the MCP endpoint over one set of Resources, opened by the lifespan."""

    def resources() -> Resources:
        opened: Resources = app.state.resources
        return opened

    mcp_app = DeferredMcp(resources)
    app_metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            open_resources(settings, metrics=app_metrics) as opened,
            embedded_worker(opened) as worker,
        ):
            app.state.resources = opened
            app.state.worker = worker
            _freeze_startup_heap()
            # in the background: the server listens meanwhile
            warm_models(opened, entities=worker is None or worker.runs_tasks_here)
            mcp_app.start()  # likewise
            freeze = asyncio.create_task(_freeze_after_warm(mcp_app), name="gc-freeze")
            try:
                yield
            finally:
                freeze.cancel()
                await mcp_app.stop()
                app.state.worker = None

    app = FastAPI(
        title="agent-memory-server",
        version=__version__,
        description="Working and long-term memory for AI agents.",
        lifespan=lifespan,
    )
    app.state.worker = None
    install_error_handlers(app)
    app.add_middleware(JsonWrites)  # innermost: behind auth, limits and the log
    app.add_middleware(WorkingMemoryReads)  # likewise
    app.add_middleware(AuthMiddleware)
    # The last added is the outermost: the request log and metrics also see refused requests.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestObserver, metrics=app_metrics)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(working_memory.router)
    app.include_router(sessions.router)
    app.include_router(overview.router)  # before long_term: its POST /facets is fixed
    app.include_router(long_term.router)
    app.include_router(upkeep.router)
    app.include_router(prompt.router)
    app.include_router(summary_views.router)
    app.include_router(tasks.router)
    app.include_router(users.router)
    app.include_router(ui.router)
    app.router.routes.extend(namespaced_routes(mcp_app, transport_paths("streamable-http")))
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and `agent-memory api --reload`: settings from the env.

    Logging is set up here too: a reloading server builds the app in a fresh process.
    """
    settings = Settings()
    configure_logging(settings)
    return create_app(settings)
