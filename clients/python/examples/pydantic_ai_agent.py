"""A PydanticAI agent with memory tools (offline: PydanticAI's FunctionModel plays the model).

Run a server (`agent-memory api`), then: python pydantic_ai_agent.py [URL]
"""

import asyncio
import sys
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent_memory_sdk import MemoryClientConfig
from agent_memory_sdk.integrations.pydantic_ai import memory_toolset


def scripted_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Stands in for a real model: store a memory, search it, answer with what it found."""
    returns = [p for m in messages for p in m.parts if isinstance(p, ToolReturnPart)]
    if not returns:
        return ModelResponse(parts=[ToolCallPart("create_memory", {"text": "Oli hates olives."})])
    if len(returns) == 1:
        return ModelResponse(parts=[ToolCallPart("search_memory", {"query": "food Oli dislikes"})])
    found: Any = returns[-1].content
    return ModelResponse(parts=[TextPart(f"I remember: {found['memories'][0]['text']}")])


async def main(url: str, user: str = "oli") -> str:
    config = MemoryClientConfig(base_url=url, default_namespace="pydantic-ai-demo")
    agent = Agent(FunctionModel(scripted_model), toolsets=[memory_toolset(config, user_id=user)])
    # with a real model: Agent("openai:gpt-4o", toolsets=[memory_toolset(config, user_id=user)])
    result = await agent.run("I hate olives. What do you know about my tastes?")
    print(result.output)
    return result.output


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000"))
