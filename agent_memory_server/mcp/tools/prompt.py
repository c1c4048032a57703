"""The memory prompt (as POST /v1/memory/prompt) and the current date and time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastmcp import Context, FastMCP
from pydantic import Field

from agent_memory_server.mcp.context import Tenant, resources_of, tenant_of
from agent_memory_server.mcp.errors import mapped
from agent_memory_server.mcp.tools.inputs import ModelName, WindowTokens
from agent_memory_server.models.long_term import MemoryPromptRequest
from agent_memory_server.services.prompt import memory_prompt as build_prompt


def _search(spec: bool | dict[str, Any], owner: Tenant) -> bool | dict[str, Any]:
    """Without a session, the search defaults to the given (or default) namespace and user."""
    if spec is False or (owner.namespace is None and owner.user_id is None):
        return spec
    search = {} if spec is True else dict(spec)
    if owner.namespace is not None:
        search.setdefault("namespace", {"eq": owner.namespace})
    if owner.user_id is not None:
        search.setdefault("user_id", {"eq": owner.user_id})
    return search


async def memory_prompt(
    ctx: Context,
    query: Annotated[str, Field(description="The user's message")],
    session_id: Annotated[str | None, Field(description="Add this session's context")] = None,
    namespace: str | None = None,
    user_id: str | None = None,
    model_name: ModelName = None,
    context_window_max: WindowTokens = None,
    long_term_search: Annotated[
        bool | dict[str, Any],
        Field(description="false, true, or search_long_term_memory arguments"),
    ] = True,
) -> dict[str, Any]:
    """Messages ready to send to your model for a user query: the session's summary and the
    newest messages that fit the window, a system message with relevant long-term memories,
    then the query. Use it to answer with memory in one call.
    Example: {"query": "What should I cook for Alice?", "session_id": "chat-7",
    "long_term_search": {"limit": 5, "user_id": {"eq": "alice"}}}"""
    tenant = tenant_of(ctx)
    owner = Tenant(namespace=tenant.namespace_or(namespace), user_id=tenant.user_or(user_id))
    session = None
    search = long_term_search
    if session_id is not None:  # the service defaults the search to the session's owner
        session = {
            "session_id": session_id, "namespace": owner.namespace, "user_id": owner.user_id,
            "model_name": model_name, "context_window_max": context_window_max,
        }  # fmt: skip
    else:
        search = _search(long_term_search, owner)
    request = MemoryPromptRequest.model_validate(
        {"query": query, "session": session, "long_term_search": search}
    )
    response = await build_prompt(resources_of(ctx), request)
    return response.model_dump(mode="json")


async def get_current_datetime() -> dict[str, Any]:
    """The current date and time in UTC, to turn "yesterday" or "next Friday" into dates
    for event_date or created_at filters.
    Example: {}"""
    now = datetime.now(UTC)
    return {"iso_utc": now.isoformat(), "unix_ts": int(now.timestamp())}


def register(server: FastMCP[Any]) -> None:
    server.tool(mapped(memory_prompt), annotations={"readOnlyHint": True})
    server.tool(mapped(get_current_datetime), annotations={"readOnlyHint": True})
