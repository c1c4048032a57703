"""FastAgentic's memory provider interface backed by agent-memory-server.

Run a server (`agent-memory api`), then: python fastagentic_memory.py [URL]
"""

import asyncio
import sys
from typing import Any

from fastagentic import App

from agent_memory_sdk import MemoryClientConfig
from agent_memory_sdk.integrations.fastagentic import (
    AgentMemoryProvider,
    AgentMemorySessionMemory,
)


async def main(url: str, user: str = "pia") -> list[dict[str, Any]]:
    config = MemoryClientConfig(base_url=url, default_namespace="fastagentic-demo")
    app = App(
        title="travel agent",
        memory=AgentMemoryProvider(config),  # long-term, per user
        session_memory=AgentMemorySessionMemory(config, user_id=user),  # type: ignore[arg-type]  (FastAgentic annotates it as a MemoryProvider)
    )
    assert app.memory is not None
    memory_id = await app.memory.add(user, "Pia prefers night trains.", {"category": "travel"})
    await app.memory.update(user, memory_id, content="Pia prefers night trains to planes.")
    hits = await app.memory.search(user, "How does Pia like to travel?", limit=3)
    print(hits[0]["content"], round(hits[0]["score"], 3))
    print("all:", [m["content"] for m in await app.memory.get_all(user)])
    return hits


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000"))
