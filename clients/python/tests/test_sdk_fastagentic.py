"""The FastAgentic memory providers over the real server: the MemoryProvider interface per user,
SessionMemory, and an App whose memory a PydanticAI agent's tool (FunctionModel) reads."""

from __future__ import annotations

import asyncio

from fastagentic import App
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent_memory_sdk import MemoryClientConfig, NotFoundError
from agent_memory_sdk.integrations.fastagentic import (
    AgentMemoryProvider,
    AgentMemorySessionMemory,
)


async def test_the_memory_provider_interface(config: MemoryClientConfig) -> None:
    memory = AgentMemoryProvider(config)
    tea = await memory.add("gus", "Gus drinks black tea.", {"category": "food", "source": "chat"})
    bike = await memory.add("gus", "Gus commutes by bike.", {"tags": ["travel"]})
    talk = await memory.add(
        "gus", [{"role": "user", "content": "I moved to Ghent."}, {"role": "assistant",
                                                                   "content": "Noted."}]
    )  # fmt: skip
    other = await memory.add("hal", "Hal drinks coffee.")

    got = await memory.get("gus", tea)
    assert got is not None and got["content"] == "Gus drinks black tea."
    assert got["metadata"] == {"category": "food", "source": "chat"}
    assert await memory.get("gus", other) is None  # Hal's, as if absent
    assert await memory.get("gus", "missing") is None

    hits = await memory.search("gus", "What does Gus drink?", limit=2)
    assert hits[0]["id"] == tea and "score" in hits[0]
    assert [h["id"] for h in await memory.search("gus", "drink", filters={"category": "food"})] == [
        tea
    ]
    assert [h["id"] for h in await memory.search("gus", "x", filters={"tags": ["travel"]})] == [
        bike
    ]
    episodic = await memory.search("gus", "move", filters={"memory_type": "episodic"})
    assert [h["content"] for h in episodic] == ["user: I moved to Ghent.\nassistant: Noted."]
    assert {m["id"] for m in await memory.get_all("gus")} == {tea, bike, talk}
    assert len(await memory.get_all("gus", limit=2)) == 2

    await memory.update("gus", tea, content="Gus drinks green tea.", metadata={"source": "edit"})
    updated = await memory.get("gus", tea)
    assert updated is not None and updated["content"] == "Gus drinks green tea."
    assert updated["metadata"] == {"category": "food", "source": "edit"}
    try:
        await memory.update("gus", other, content="hijacked")
        raise AssertionError("updated another user's memory")
    except NotFoundError:
        pass
    await memory.delete("gus", other)  # not Gus's: nothing happens
    assert await memory.get("hal", other) is not None
    await memory.delete("gus", bike)
    assert await memory.get("gus", bike) is None
    assert await memory.delete_all("gus") == 2
    assert await memory.get_all("gus") == []
    assert len(await memory.get_all("hal")) == 1


async def test_session_memory_and_its_summary(config: MemoryClientConfig) -> None:
    sessions = AgentMemorySessionMemory(config, user_id="ida", context_window_max=256)
    assert await sessions.get_messages("chat") == []
    await sessions.add_message("chat", {"role": "user", "content": "Hello"})
    await sessions.add_message("chat", {"role": "assistant", "content": "Hi Ida"})
    assert await sessions.get_messages("chat") == [
        {"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi Ida"},
    ]  # fmt: skip
    for i in range(25):
        await sessions.add_message(
            "chat", {"role": "user", "content": f"Note {i}: the parrot Kiwi says {i} words."}
        )
    summary = ""
    for _ in range(200):  # the server summarizes in the background: up to a minute
        summary = await sessions.summarize("chat")
        if summary:
            break
        await asyncio.sleep(0.3)
    assert "Kiwi" in summary
    await sessions.clear("chat")
    assert await sessions.get_messages("chat") == []


async def test_an_app_agent_reads_the_apps_memory(config: MemoryClientConfig) -> None:
    app = App(title="memory test", memory=AgentMemoryProvider(config), mcp_enabled=False,
              a2a_enabled=False)  # fmt: skip
    assert app.memory is not None
    await app.memory.add("jo", "Jo's flight to Lima leaves at 9:40.")

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = [p for m in messages for p in m.parts if isinstance(p, ToolReturnPart)]
        if not returns:
            return ModelResponse(parts=[ToolCallPart("recall", {"query": "flight time"})])
        return ModelResponse(parts=[TextPart(str(returns[0].content))])

    agent: Agent[None, str] = Agent(FunctionModel(model))

    @agent.tool_plain
    async def recall(query: str) -> str:
        """What is remembered about the user."""
        assert app.memory is not None
        hits = await app.memory.search("jo", query, limit=1)
        return hits[0]["content"] if hits else "nothing"

    result = await agent.run("When does my flight leave?")
    assert result.output == "Jo's flight to Lima leaves at 9:40."
