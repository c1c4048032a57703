"""The memory tools (see agent_memory_sdk.tools) as LangChain tools (extra `[langchain]`).

tools = memory_tools(config, user_id="ann")
model.bind_tools(tools)   # or create_agent(model, tools) / ToolNode(tools)
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool

from agent_memory_sdk._core import MemoryClientConfig
from agent_memory_sdk.client import MemoryAPIClient
from agent_memory_sdk.sync import SyncMemoryAPIClient
from agent_memory_sdk.tools import TOOLS, MemoryToolDispatcher


def memory_tools(
    config: MemoryClientConfig,
    *,
    user_id: str | None = None,
    namespace: str | None = None,
    session_id: str | None = None,
) -> list[BaseTool]:
    """search_memory, create_memory, edit_memory, forget_memory and memory_prompt, bound to one
    user (and namespace, session); each answers with JSON, errors as {"error": ...}."""
    scope: dict[str, Any] = {"user_id": user_id, "namespace": namespace, "session_id": session_id}

    def sync_tool(name: str) -> Callable[..., str]:
        def run(**arguments: Any) -> str:
            with SyncMemoryAPIClient(config) as client:
                return json.dumps(MemoryToolDispatcher(client, **scope).execute(name, arguments))

        return run

    def async_tool(name: str) -> Callable[..., Awaitable[str]]:
        async def run(**arguments: Any) -> str:
            async with MemoryAPIClient(config) as client:
                result = await MemoryToolDispatcher(client, **scope).aexecute(name, arguments)
                return json.dumps(result)

        return run

    return [
        StructuredTool.from_function(
            func=sync_tool(name),
            coroutine=async_tool(name),
            name=name,
            description=model.__doc__ or name,
            args_schema=model,
        )
        for name, model in TOOLS.items()
    ]
