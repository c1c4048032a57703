"""The HTTP doors of the MCP server, each also served under a namespace.

Streamable HTTP at `/mcp`, SSE at `/sse` (+ `/messages/`); the same endpoints under
`/{namespace}/...` make that namespace the default of every call on the connection. The routes
are plain Starlette routes, so the API app adds them next to its own without catching any other
path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:  # FastMCP and the MCP SDK take about a second to import: see mcp/deferred.py
    from fastmcp import FastMCP
    from fastmcp.server.http import StarletteWithLifespan

MCP_PATH = "/mcp"
SSE_PATH = "/sse"
HttpTransport = Literal["streamable-http", "sse"]


class _UnderNamespace:
    """Serves `/{namespace}<path>` by the app that serves `<path>`, as a Starlette Mount would:
    the prefix moves into `root_path` and the namespace stays in `path_params`."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        full: str = scope["path"]
        root_path = full[: len(full) - len(self.path)]
        await self.app({**scope, "root_path": root_path}, receive, send)


def namespaced_routes(app: ASGIApp, paths: Sequence[str]) -> list[Route]:
    """Routes for each path and for `/{namespace}` + path, all served by `app`."""
    routes: list[Route] = []
    for path in paths:
        routes.append(Route(path, endpoint=app))
        routes.append(Route("/{namespace}" + path, endpoint=_UnderNamespace(app, path)))
    return routes


def transport_app(server: FastMCP[Any], transport: HttpTransport) -> StarletteWithLifespan:
    """The MCP app of one HTTP transport (its lifespan must run around its use)."""
    path = MCP_PATH if transport == "streamable-http" else SSE_PATH
    # "auto": Host/Origin checks (DNS rebinding) when bound to a loopback address.
    return server.http_app(path=path, transport=transport, host_origin_protection="auto")


def transport_paths(transport: HttpTransport) -> list[str]:
    if transport == "streamable-http":
        return [MCP_PATH]
    import fastmcp  # noqa: PLC0415

    return [SSE_PATH, fastmcp.settings.message_path]


def standalone_app(
    server: FastMCP[Any], transport: HttpTransport, extra: Sequence[Route] = ()
) -> Starlette:
    """The app of `agent-memory mcp --mode sse|streamable-http` (plus `extra` routes)."""
    inner = transport_app(server, transport)
    routes = [*extra, *namespaced_routes(inner, transport_paths(transport))]
    return Starlette(routes=routes, lifespan=inner.lifespan)
