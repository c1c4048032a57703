"""The API's MCP endpoint, built after the API listens.

Importing FastMCP and the MCP SDK and building the server's tool schemas costs more CPU than
the rest of the API's start-up (about 1.3 s of CPU; several seconds of wall time on a busy
machine), and a REST client should not wait for it. `DeferredMcp` is the ASGI app the API
routes `/mcp` to: the lifespan starts `serve()` once the API is ready, which imports and
builds the MCP app in a thread (the event loop keeps serving meanwhile) and then runs the MCP
app's own lifespan; an MCP request that arrives before then waits for it (a build error
answers 503 with the reason).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from agent_memory_server.resources import Resources

logger = logging.getLogger(__name__)


def _build(resources: Callable[[], Resources]) -> Starlette:
    from agent_memory_server.mcp.http import transport_app  # noqa: PLC0415
    from agent_memory_server.mcp.server import create_mcp_server  # noqa: PLC0415

    return transport_app(create_mcp_server(resources), "streamable-http")


class DeferredMcp:
    """ASGI app for `/mcp`: serves the streamable-HTTP MCP app once `serve()` has built it."""

    def __init__(self, resources: Callable[[], Resources]) -> None:
        self._resources = resources
        self._app: Starlette | None = None
        self._error: BaseException | None = None
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Build and run the MCP app in the background (call once the API serves)."""
        self._app, self._error = None, None
        self._ready, self._stop = asyncio.Event(), asyncio.Event()
        self._task = asyncio.create_task(self._serve(), name="mcp-endpoint")

    async def built(self) -> None:
        """Wait until the MCP app is built and started (or failed to)."""
        await self._ready.wait()

    async def stop(self) -> None:
        """End the MCP app's lifespan (its sessions) and wait for it."""
        self._stop.set()
        if self._task is not None:
            if not self._ready.is_set():
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _serve(self) -> None:
        try:
            app = await asyncio.to_thread(_build, self._resources)
            async with app.router.lifespan_context(app):
                self._app = app
                self._ready.set()
                await self._stop.wait()
        except Exception as e:  # answered to every MCP request (503) and logged once
            logger.error("the MCP endpoint failed to start: %s", e, exc_info=True)
            self._error = e
            self._ready.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._ready.wait()
        if self._app is None:
            reason = f"the MCP endpoint failed to start: {self._error}"
            await JSONResponse({"detail": reason}, status_code=503)(scope, receive, send)
            return
        await self._app(scope, receive, send)
