"""create_mcp_server(settings or a Resources provider) -> FastMCP with every memory tool.

With Settings, the server's lifespan opens its own Resources (and closes them); with a
provider, it borrows Resources that someone else opened and closes nothing: the API app's
lifespan when the MCP app is mounted in it, or the `agent-memory mcp` command.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastmcp import FastMCP

from agent_memory_server import __version__
from agent_memory_server.config import Settings
from agent_memory_server.mcp.auth import Caller
from agent_memory_server.mcp.context import RESOURCES
from agent_memory_server.mcp.errors import ArgumentErrors
from agent_memory_server.mcp.tools import long_term, prompt, working_memory
from agent_memory_server.resources import Resources, open_resources

ResourcesProvider = Callable[[], Resources]

INSTRUCTIONS = (
    "Memory for AI agents. Working memory holds one session's messages and summary; "
    "long-term memory holds facts across sessions, searchable by meaning and filters. "
    "Calls that name no namespace or user_id use the server's defaults."
)


def create_mcp_server(source: Settings | ResourcesProvider) -> FastMCP[dict[str, Any]]:
    """The MCP server over the services; `source` gives its Resources (see the module doc)."""

    @asynccontextmanager
    async def lifespan(server: FastMCP[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
        if isinstance(source, Settings):
            async with open_resources(source) as resources:
                yield {RESOURCES: resources}
        else:
            yield {RESOURCES: source()}

    server: FastMCP[dict[str, Any]] = FastMCP(
        name="agent-memory",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        middleware=[Caller(), ArgumentErrors()],
        mask_error_details=True,
        on_duplicate="error",
    )
    long_term.register(server)
    working_memory.register(server)
    prompt.register(server)
    return server
