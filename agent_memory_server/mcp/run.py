"""The MCP server as a process of its own: `agent-memory mcp --mode stdio|sse|streamable-http`.

The process opens Resources (and the embedded worker, unless EMBEDDED_WORKER=false) and the
server borrows them. In stdio mode stdout carries protocol frames only: while Resources open
and close, file descriptor 1 points at stderr, so whatever Redis, model loading, a native
library or a child process prints there cannot reach the client; while serving, the MCP SDK's
stdio transport does the same diversion itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent_memory_server.config import Settings
from agent_memory_server.http.auth import AuthMiddleware
from agent_memory_server.http.limits import BodySizeLimit
from agent_memory_server.http.observer import RequestObserver
from agent_memory_server.mcp.http import HttpTransport, standalone_app
from agent_memory_server.mcp.server import create_mcp_server
from agent_memory_server.metrics import CONTENT_TYPE
from agent_memory_server.resources import Resources, open_resources, warm_models
from agent_memory_server.tasks.worker import EmbeddedWorker, embedded_worker

logger = logging.getLogger(__name__)


def divert_stdout() -> int:
    """Point file descriptor 1 at stderr; returns a copy of the old one for restore_stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return saved


def restore_stdout(saved: int) -> None:
    sys.stdout.flush()
    os.dup2(saved, 1)
    os.close(saved)


@contextlib.asynccontextmanager
async def _serving(settings: Settings) -> AsyncIterator[tuple[Resources, EmbeddedWorker | None]]:
    async with open_resources(settings) as resources, embedded_worker(resources) as worker:
        # in the background: the server answers meanwhile
        warm_models(resources, entities=worker is None or worker.runs_tasks_here)
        yield resources, worker


async def serve_stdio(settings: Settings) -> None:
    """Serve MCP on stdin/stdout until the client closes stdin (the MCP stdio shutdown).

    A signal ends the process at once (the stdin reader blocks in a thread, so a cancelled
    session could not wind down); a running embedded Redis is then left for the next process to
    join, as after a crash.
    """
    saved = divert_stdout()  # while Resources open
    try:
        async with _serving(settings) as (resources, _):
            restore_stdout(saved)
            try:
                with contextlib.suppress(asyncio.CancelledError):
                    await create_mcp_server(lambda: resources).run_stdio_async(show_banner=False)
            finally:
                saved = divert_stdout()  # while Resources close
        logger.info("MCP stdio session ended")
    finally:
        restore_stdout(saved)


def _operations_routes(resources: Resources, worker: EmbeddedWorker | None) -> list[Route]:
    """GET /metrics (this process's Prometheus metrics, with its worker process's) and GET
    /v1/health/live, as the API serves them, for the scraper and the container's health check."""

    async def metrics(request: Request) -> Response:
        other = b"" if worker is None else await worker.metrics()
        return Response(resources.metrics.render(other), media_type=CONTENT_TYPE)

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    return [
        Route("/metrics", metrics, methods=["GET"]),
        Route("/v1/health/live", live, methods=["GET"]),
    ]


async def serve_http(settings: Settings, transport: HttpTransport, host: str, port: int) -> None:
    """Serve MCP over streamable HTTP (`/mcp`) or SSE (`/sse`), also under `/{namespace}`."""
    async with _serving(settings) as (resources, worker):
        app = standalone_app(
            create_mcp_server(lambda: resources), transport, _operations_routes(resources, worker)
        )
        app.state.resources = resources
        app.add_middleware(AuthMiddleware)  # the same check as the API's, before any MCP frame
        app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
        app.add_middleware(RequestObserver, metrics=resources.metrics)
        # Our request log instead of uvicorn's access log; uvicorn's records in LOG_FORMAT.
        config = uvicorn.Config(
            app, host=host, port=port, log_level=settings.log_level.lower(),
            log_config=None, access_log=False,
        )  # fmt: skip
        await uvicorn.Server(config).serve()
