"""The examples run, offline, against a real server; the docs show them as they are."""

from __future__ import annotations

import asyncio
import inspect
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CLIENT = Path(__file__).resolve().parent.parent
EXAMPLES = CLIENT / "examples"
DOCS = CLIENT.parent.parent / "docs" / "clients"
PAGES = {
    "quickstart.py": "index.md", "langgraph_store.py": "langgraph.md",
    "langchain_history.py": "langchain.md", "tool_calling.py": "tools.md",
    "pydantic_ai_agent.py": "pydantic-ai.md", "fastagentic_memory.py": "fastagentic.md",
}  # fmt: skip


async def _main(name: str, url: str) -> Any:
    main = runpy.run_path(str(EXAMPLES / name), run_name="example")["main"]
    if inspect.iscoroutinefunction(main):
        return await main(url)
    return await asyncio.to_thread(main, url)


async def test_quickstart(memory_server: str) -> None:
    texts = await _main("quickstart.py", memory_server)
    assert texts[-1] == "Suggest a restaurant for my trip."
    assert any("Kim is vegetarian." in t for t in texts)
    assert "I'm planning a trip to Kyoto in April." in texts


def test_quickstart_runs_as_a_script(memory_server: str) -> None:
    ran = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py"), memory_server],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "user: Suggest a restaurant for my trip." in ran.stdout


async def test_langgraph_store(memory_server: str) -> None:
    answers = await _main("langgraph_store.py", memory_server)
    assert answers == ["Noted.", "Known: I take my coffee black"]


@pytest.mark.filterwarnings("ignore:RunnableWithMessageHistory is deprecated")
async def test_langchain_history(memory_server: str) -> None:
    stored = await _main("langchain_history.py", memory_server)
    assert stored == ["human: Hi, I'm Max.", "ai: Hi Max!", "human: What's my name?",
                      "ai: You're Max."]  # fmt: skip


async def test_tool_calling(memory_server: str) -> None:
    tool_message, tool_result = await _main("tool_calling.py", memory_server)
    assert tool_message["role"] == "tool" and '"created"' in tool_message["content"]
    assert "Nia is learning the cello." in tool_result["content"]


async def test_pydantic_ai_agent(memory_server: str) -> None:
    assert await _main("pydantic_ai_agent.py", memory_server) == "I remember: Oli hates olives."


async def test_fastagentic_memory(memory_server: str) -> None:
    hits = await _main("fastagentic_memory.py", memory_server)
    assert hits[0]["content"] == "Pia prefers night trains to planes."


@pytest.mark.parametrize("example", sorted(PAGES))
def test_the_docs_show_the_example_as_it_is(example: str) -> None:
    page = (DOCS / PAGES[example]).read_text()
    assert (EXAMPLES / example).read_text() in page, f"docs/clients/{PAGES[example]}"
