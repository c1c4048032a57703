"""Authentication of every HTTP request (REST, the MCP mount, the standalone MCP server): a pure
ASGI middleware, shared by the HTTP doors (so neither api/ nor mcp/ imports the other).

It resolves the caller once (services/auth.py) and runs the request inside
`acting_as(principal)`, so the services confine it to its tenants. Health, readiness,
metrics, the API docs and the workbench's static files (/ui) stay open.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from agent_memory_server.errors import ANSWERED, MemoryServerError, as_domain_error
from agent_memory_server.resources import Resources
from agent_memory_server.services.auth import authenticate
from agent_memory_server.services.tenancy import acting_as

OPEN_PATHS = frozenset(
    {
        "/health", "/v1/health", "/v1/health/live", "/v1/health/ready", "/metrics",
        "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json",
    }
)  # fmt: skip


def is_ui_asset(path: str) -> bool:
    """The workbench's static page and assets (no data: its scripts call the API with the
    user's token)."""
    return path == "/ui" or path.startswith("/ui/")


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    """Needs the app's Resources at `app.state.resources` (set in its lifespan)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in OPEN_PATHS or is_ui_asset(path):
            await self.app(scope, receive, send)
            return
        resources: Resources = scope["app"].state.resources
        settings = resources.settings
        failure: MemoryServerError | None = None
        try:
            principal = await authenticate(
                settings, resources.tokens, Headers(scope=scope).get("authorization")
            )
        except ANSWERED as e:
            failure = as_domain_error(e)
        if failure is not None:
            answer = JSONResponse({"detail": failure.message}, failure.status, failure.headers)
            await answer(scope, receive, send)
            return
        with acting_as(principal):
            await self.app(scope, receive, send)
