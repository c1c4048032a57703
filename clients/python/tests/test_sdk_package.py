"""What the package promises beyond the routes: a small core, and clients that outlive loops."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from agent_memory_sdk import MemoryClientConfig
from agent_memory_sdk.integrations.langgraph import AgentMemoryStore

OPTIONAL = ("langchain_core", "langgraph", "pydantic_ai", "fastagentic", "agent_memory_server")


def test_the_core_imports_no_framework() -> None:
    probe = (
        "import sys, agent_memory_sdk, agent_memory_sdk.tools\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({OPTIONAL!r})))"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]"


async def test_the_store_works_across_event_loops(config: MemoryClientConfig) -> None:
    store = AgentMemoryStore(config)

    def two_loops() -> list[object]:  # e.g. a script calling asyncio.run per request
        asyncio.run(store.aput(("loops", "ann"), "k", {"v": 1}))
        item = asyncio.run(store.aget(("loops", "ann"), "k"))
        return [None if item is None else item.value]

    assert await asyncio.to_thread(two_loops) == [{"v": 1}]
