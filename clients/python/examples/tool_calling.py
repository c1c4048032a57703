"""Memory tools for an OpenAI- or Anthropic-style tool-calling model.

The tool calls below are written as the APIs deliver them, so this runs offline; with a real
model, pass openai_tool_schemas() / anthropic_tool_schemas() as `tools` and dispatch its calls.
Run a server (`agent-memory api`), then: python tool_calling.py [URL]
"""

import asyncio
import json
import sys
from typing import Any

from agent_memory_sdk import MemoryAPIClient, MemoryClientConfig
from agent_memory_sdk.tools import (
    MemoryToolDispatcher,
    anthropic_tool_schemas,
    openai_tool_schemas,
)


async def main(url: str, user: str = "nia") -> list[dict[str, Any]]:
    print("tools:", [t["function"]["name"] for t in openai_tool_schemas()])
    print("anthropic:", [t["name"] for t in anthropic_tool_schemas()])
    config = MemoryClientConfig(base_url=url, default_namespace="tools-demo")
    async with MemoryAPIClient(config) as client:
        tools = MemoryToolDispatcher(client, user_id=user)  # the model cannot pick another user
        openai_call = {  # response.choices[0].message.tool_calls[0], as a dict
            "id": "call_1", "type": "function",
            "function": {"name": "create_memory",
                         "arguments": json.dumps({"text": "Nia is learning the cello."})},
        }  # fmt: skip
        tool_message = await tools.aexecute_openai(openai_call)  # append to your messages
        anthropic_use = {  # a tool_use block of an Anthropic response
            "type": "tool_use", "id": "toolu_1", "name": "search_memory",
            "input": {"query": "Which instrument does Nia play?"},
        }  # fmt: skip
        tool_result = await tools.aexecute_anthropic(anthropic_use)  # the next user turn
        print(tool_message)
        print(tool_result)
        return [tool_message, tool_result]


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000"))
