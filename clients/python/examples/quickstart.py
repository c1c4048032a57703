"""Working memory, long-term memory and the memory prompt with agent-memory-sdk.

Run a server (`agent-memory api`), then: python quickstart.py [URL]
"""

import asyncio
import sys

from agent_memory_sdk import (
    ClientMemoryRecord,
    MemoryAPIClient,
    MemoryClientConfig,
    MemoryTypeEnum,
)
from agent_memory_sdk.filters import UserId


async def main(url: str, namespace: str = "quickstart") -> list[str]:
    config = MemoryClientConfig(base_url=url, default_namespace=namespace)
    async with MemoryAPIClient(config) as client:
        # A conversation: appended atomically, the session is created on first use
        await client.append_messages_to_working_memory(
            "chat-1",
            [{"role": "user", "content": "I'm planning a trip to Kyoto in April."}],
            user_id="kim",
        )
        # Facts to keep across conversations
        await client.create_long_term_memory(
            [
                ClientMemoryRecord(
                    text="Kim is vegetarian.",
                    user_id="kim",
                    topics=["food"],
                    memory_type=MemoryTypeEnum.SEMANTIC,
                )
            ]
        )
        found = await client.search_long_term_memory("What can Kim eat?", user_id=UserId(eq="kim"))
        print("found:", [m.text for m in found.memories])
        # Messages for your model: summary, recent messages, relevant memories, the query
        prompt = await client.build_memory_prompt(
            "Suggest a restaurant for my trip.", session_id="chat-1", user_id="kim",
            long_term_search={"user_id": {"eq": "kim"}},
        )  # fmt: skip
        for message in prompt.messages:
            print(f"{message.role}: {message.text}")
        return [message.text for message in prompt.messages]


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000"))
