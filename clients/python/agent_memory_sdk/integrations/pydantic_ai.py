"""The memory tools as a PydanticAI toolset (extra `[pydantic-ai]`).

    agent = Agent(model, toolsets=[memory_toolset(config, user_id="ann")])

The five tools of agent_memory_sdk.tools, bound to one user (and namespace, session); each
answers with a JSON-able dict, errors as {"error": ...} the model can read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic_ai.toolsets import FunctionToolset

from agent_memory_sdk._core import MemoryClientConfig
from agent_memory_sdk.client import MemoryAPIClient
from agent_memory_sdk.tools import MemoryToolDispatcher

Kind = Literal["semantic", "episodic"]


def memory_toolset(
    config: MemoryClientConfig,
    *,
    user_id: str | None = None,
    namespace: str | None = None,
    session_id: str | None = None,
) -> FunctionToolset[Any]:
    scope: dict[str, Any] = {"user_id": user_id, "namespace": namespace, "session_id": session_id}

    async def run(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        given = {k: v for k, v in arguments.items() if v is not None}
        async with MemoryAPIClient(config) as client:
            return await MemoryToolDispatcher(client, **scope).aexecute(name, given)

    async def search_memory(
        query: str, topics: list[str] | None = None, memory_type: Kind | None = None,
        limit: int = 5,
    ) -> dict[str, Any]:  # fmt: skip
        """Search the user's long-term memory for facts and events relevant to a query.

        Args:
            query: What to look for, in natural language.
            topics: Only memories with one of these topics.
            memory_type: semantic facts or episodic events.
            limit: How many memories to return (at most 20).
        """
        return await run("search_memory", {"query": query, "topics": topics,
                                           "memory_type": memory_type, "limit": limit})  # fmt: skip

    async def create_memory(
        text: str, topics: list[str] | None = None, memory_type: Kind = "semantic",
        event_date: datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Remember a fact about the user (semantic) or an event (episodic) for later sessions.

        Args:
            text: The memory, as one self-contained sentence.
            topics: A few topic words.
            memory_type: semantic fact or episodic event.
            event_date: When the event happened.
        """
        given = {"text": text, "topics": topics, "memory_type": memory_type,
                 "event_date": event_date}  # fmt: skip
        return await run("create_memory", given)

    async def edit_memory(
        memory_id: str, text: str | None = None, topics: list[str] | None = None,
        memory_type: Kind | None = None, event_date: datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Correct a stored memory (found by search_memory) when the user says it changed.

        Args:
            memory_id: The id of the memory, from search_memory.
            text: The corrected memory.
            topics: New topics.
            memory_type: New type.
            event_date: New event date.
        """
        given = {"memory_id": memory_id, "text": text, "topics": topics,
                 "memory_type": memory_type, "event_date": event_date}  # fmt: skip
        return await run("edit_memory", given)

    async def forget_memory(memory_ids: list[str]) -> dict[str, Any]:
        """Forget memories the user asked to be forgotten or that are wrong.

        Args:
            memory_ids: Ids of memories, from search_memory.
        """
        return await run("forget_memory", {"memory_ids": memory_ids})

    async def memory_prompt(query: str) -> dict[str, Any]:
        """Get what is remembered that is relevant to a query: conversation summary, memories.

        Args:
            query: The user's question or topic.
        """
        return await run("memory_prompt", {"query": query})

    return FunctionToolset(
        [search_memory, create_memory, edit_memory, forget_memory, memory_prompt]
    )
