"""Working memory tools: read and replace a session (as GET and PUT /v1/working-memory/{id})."""

from __future__ import annotations

from typing import Annotated, Any

from fastmcp import Context, FastMCP
from pydantic import Field

from agent_memory_server.mcp.context import resources_of, tenant_of
from agent_memory_server.mcp.errors import mapped
from agent_memory_server.mcp.tools.inputs import MemoryInput, MessageInput, ModelName, WindowTokens
from agent_memory_server.models.common import Identifier
from agent_memory_server.models.long_term import PromptSession
from agent_memory_server.models.working_memory import MemoryStrategyConfig, WorkingMemory
from agent_memory_server.services import working_memory as service
from agent_memory_server.services.working_memory import Window


def _session(
    session_id: str,
    namespace: str | None,
    user_id: str | None,
    model_name: str | None,
    context_window_max: int | None,
) -> PromptSession:
    """The session fields and window, validated as the REST query parameters are."""
    return PromptSession.model_validate(
        {
            "session_id": session_id,
            "namespace": namespace,
            "user_id": user_id,
            "model_name": model_name,
            "context_window_max": context_window_max,
        }
    )


async def get_working_memory(
    ctx: Context,
    session_id: Identifier,
    namespace: Identifier | None = None,
    user_id: Identifier | None = None,
    model_name: ModelName = None,
    context_window_max: WindowTokens = None,
    recent_messages_limit: Annotated[int | None, Field(ge=0, le=100_000)] = None,
) -> dict[str, Any]:
    """Read a session's working memory: messages, summary (`context`), `data`, and memories
    not yet promoted; with a model, also how full its context window is. An error if the
    session does not exist.
    Example: {"session_id": "chat-7", "recent_messages_limit": 20}"""
    tenant = tenant_of(ctx)
    session = _session(
        session_id, tenant.namespace_or(namespace), tenant.user_or(user_id), model_name,
        context_window_max,
    )  # fmt: skip
    found = await service.get_session(
        resources_of(ctx), session.session_id, namespace=session.namespace, user_id=session.user_id,
        window=Window(session.model_name, session.context_window_max),
        recent_messages_limit=recent_messages_limit,
    )  # fmt: skip
    return found.model_dump(mode="json")


async def set_working_memory(
    ctx: Context,
    session_id: Identifier,
    messages: list[MessageInput] | None = None,
    memories: Annotated[
        list[MemoryInput] | None, Field(description="Saved to long-term memory in the background")
    ] = None,
    context: Annotated[str | None, Field(description="Summary of earlier conversation")] = None,
    data: Annotated[dict[str, Any] | None, Field(description="Free JSON state")] = None,
    namespace: Identifier | None = None,
    user_id: Identifier | None = None,
    ttl_seconds: Annotated[int | None, Field(description="Expire after; none keeps it")] = None,
    long_term_memory_strategy: MemoryStrategyConfig | None = None,
    model_name: ModelName = None,
    context_window_max: WindowTokens = None,
) -> dict[str, Any]:
    """Replace a session's working memory (created if new): send every message to keep.
    Sessions that outgrow the model's window are summarized in the background, and facts
    are extracted from the messages into long-term memory.
    Example: {"session_id": "chat-7", "user_id": "alice", "messages": [{"role": "user",
    "content": "I moved to Lisbon"}]}"""
    tenant = tenant_of(ctx)
    session = _session(
        session_id, tenant.namespace_or(namespace), tenant.user_or(user_id), model_name,
        context_window_max,
    )  # fmt: skip
    body: dict[str, Any] = {
        "session_id": session_id, "namespace": session.namespace, "user_id": session.user_id,
        "messages": [m.model_dump(exclude_none=True) for m in messages or []],
        "memories": [m.model_dump(exclude_none=True) for m in memories or []],
        "context": context, "data": data, "ttl_seconds": ttl_seconds,
    }  # fmt: skip
    if long_term_memory_strategy is not None:
        body["long_term_memory_strategy"] = long_term_memory_strategy
    saved = await service.put_session(
        resources_of(ctx), session_id, WorkingMemory.model_validate(body),
        namespace=None, user_id=None,
        window=Window(session.model_name, session.context_window_max),
    )  # fmt: skip
    return saved.model_dump(mode="json")


def register(server: FastMCP[Any]) -> None:
    server.tool(mapped(get_working_memory), annotations={"readOnlyHint": True})
    server.tool(mapped(set_working_memory), annotations={"idempotentHint": True})
