"""The PydanticAI toolset over the real server, driven by PydanticAI's own test models."""

from __future__ import annotations

from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel

from agent_memory_sdk import MemoryAPIClient, MemoryClientConfig
from agent_memory_sdk.filters import UserId
from agent_memory_sdk.integrations.pydantic_ai import memory_toolset

TOOLS = ["search_memory", "create_memory", "edit_memory", "forget_memory", "memory_prompt"]


def _returns(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    return [p for m in messages for p in m.parts if isinstance(p, ToolReturnPart)]


async def test_an_agent_remembers_then_recalls(config: MemoryClientConfig) -> None:
    seen_tools: list[str] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen_tools[:] = [t.name for t in info.function_tools]
        returns = _returns(messages)
        if not returns:
            args = {"text": "Eve speaks Finnish.", "topics": ["languages"]}
            return ModelResponse(parts=[ToolCallPart("create_memory", args)])
        if len(returns) == 1:
            query = {"query": "Which languages does Eve speak?"}
            return ModelResponse(parts=[ToolCallPart("search_memory", query)])
        content: Any = returns[-1].content
        return ModelResponse(parts=[TextPart(content["memories"][0]["text"])])

    agent = Agent(FunctionModel(model), toolsets=[memory_toolset(config, user_id="eve")])
    result = await agent.run("Remember that I speak Finnish, then tell me what you know.")
    assert result.output == "Eve speaks Finnish."
    assert sorted(seen_tools) == sorted(TOOLS)
    async with MemoryAPIClient(config) as client:  # stored as Eve's, in the namespace
        stored = await client.search_long_term_memory("", user_id=UserId(eq="eve"))
    assert [m.text for m in stored.memories] == ["Eve speaks Finnish."]
    assert stored.memories[0].topics == ["languages"]


async def test_every_tool_answers_the_test_models_calls(config: MemoryClientConfig) -> None:
    agent = Agent(TestModel(call_tools="all"), toolsets=[memory_toolset(config, user_id="fay")])
    result = await agent.run("use your tools")
    returns = {p.tool_name: p.content for p in _returns(result.all_messages())}
    assert sorted(returns) == sorted(TOOLS)
    assert returns["create_memory"]["status"] == "created"
    assert "context" in returns["memory_prompt"]
    # TestModel invents ids: edit and forget answer as for a memory that is not there
    assert "not found" in returns["edit_memory"]["error"]
    assert returns["forget_memory"]["forgotten"] == []
