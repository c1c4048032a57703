"""The caller of each MCP request over HTTP, authenticated like REST and confined like it.

The API's auth middleware already refuses HTTP requests without valid credentials; tool
calls run in the MCP session's own task, so the caller is resolved again here (one Redis
read) and the request runs inside `acting_as(principal)`. Over stdio and in memory there is
no HTTP request: the caller is the local operator, as with the CLI.
"""

from __future__ import annotations

from typing import Any

from fastmcp.server.dependencies import get_http_request
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext

from agent_memory_server.errors import MemoryServerError
from agent_memory_server.mcp.context import resources_of
from agent_memory_server.mcp.errors import to_tool_error
from agent_memory_server.services.auth import authenticate
from agent_memory_server.services.tenancy import acting_as


class Caller(Middleware):
    async def on_request(
        self, context: MiddlewareContext[Any], call_next: CallNext[Any, Any]
    ) -> Any:
        try:
            request = get_http_request()
        except RuntimeError:  # stdio or in memory
            return await call_next(context)
        if context.fastmcp_context is None:
            return await call_next(context)
        resources = resources_of(context.fastmcp_context)
        try:
            principal = await authenticate(
                resources.settings, resources.tokens, request.headers.get("authorization")
            )
        except MemoryServerError as e:
            raise to_tool_error(e, context.method or "request") from e
        with acting_as(principal):
            return await call_next(context)
