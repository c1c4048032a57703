"""A script written for agent-memory-client 0.14: working memory, long-term memory and the
memory prompt. test_sdk_compat.py runs it as it is (with 0.14) and with its imports switched to
agent_memory_sdk, and compares what both saw. Nothing below the imports may change."""

import asyncio
import sys
from datetime import UTC, datetime

from agent_memory_client import MemoryAPIClient, MemoryClientConfig, create_memory_client
from agent_memory_client.exceptions import MemoryNotFoundError
from agent_memory_client.filters import Namespace, Topics, UserId
from agent_memory_client.models import (
    ClientMemoryRecord,
    MemoryMessage,
    MemoryTypeEnum,
    WorkingMemory,
)


async def main(base_url: str, namespace: str) -> dict:
    seen: dict = {}
    client = await create_memory_client(base_url, default_namespace=namespace)
    async with client:
        seen["health"] = (await client.health_check()).now > 0

        # Working memory
        created, memory = await client.get_or_create_working_memory("trip", user_id="dana")
        seen["created"] = created
        await client.put_working_memory(
            "trip",
            WorkingMemory(
                session_id="trip",
                user_id="dana",
                messages=[
                    MemoryMessage(
                        role="user",
                        content="I want three days in Oslo in May.",
                        created_at=datetime.now(UTC),
                    )
                ],
            ),
            user_id="dana",
        )
        await client.append_messages_to_working_memory(
            "trip", [{"role": "assistant", "content": "Three days in Oslo, noted."}], user_id="dana"
        )
        await client.update_working_memory_data("trip", {"plan": {"city": "Oslo"}}, user_id="dana")
        await client.update_working_memory_data(
            "trip", {"plan": {"days": 3}}, merge_strategy="deep_merge", user_id="dana"
        )
        created, memory = await client.get_or_create_working_memory("trip", user_id="dana")
        seen["created_again"] = created
        seen["messages"] = [(m.role, m.content) for m in memory.messages]
        seen["data"] = memory.data
        seen["sessions"] = (await client.list_sessions(user_id="dana")).sessions

        # Long-term memory
        ack = await client.create_long_term_memory(
            [
                ClientMemoryRecord(
                    text="Dana is vegetarian.",
                    user_id="dana",
                    topics=["food"],
                    memory_type=MemoryTypeEnum.SEMANTIC,
                ),
                ClientMemoryRecord(
                    text="Dana's sister lives in Bergen.",
                    user_id="dana",
                    topics=["family"],
                    memory_type=MemoryTypeEnum.SEMANTIC,
                ),
            ]
        )
        seen["ack"] = ack.status
        results = await client.search_long_term_memory(
            text="What does Dana eat?", user_id=UserId(eq="dana"), topics=Topics(any=["food"])
        )
        seen["found"] = [m.text for m in results.memories]
        found_id = results.memories[0].id
        record = await client.get_long_term_memory(found_id)
        seen["got"] = (record.text, record.namespace == namespace, record.topics)
        edited = await client.edit_long_term_memory(found_id, {"text": "Dana is vegan."})
        seen["edited"] = edited.text
        everything = await client.search_long_term_memory(
            text="", namespace=Namespace(eq=namespace), limit=10
        )
        seen["listed"] = sorted(m.text for m in everything.memories if m.user_id == "dana")

        # The memory prompt
        prompt = await client.memory_prompt(
            query="Where should Dana eat in Oslo?",
            session_id="trip",
            user_id="dana",
            long_term_search={"user_id": {"eq": "dana"}, "topics": {"any": ["food"]}, "limit": 3},
        )
        seen["prompt"] = [
            (m["role"], m["content"]["text"].splitlines()[-1]) for m in prompt["messages"]
        ]
        hydrated = await client.hydrate_memory_prompt(
            query="family", user_id={"eq": "dana"}, topics={"any": ["family"]}
        )
        seen["hydrated"] = [m["content"]["text"] for m in hydrated["messages"]]

        # Deleting
        await client.delete_long_term_memories([found_id])
        try:
            await client.get_long_term_memory(found_id)
            seen["deleted"] = False
        except MemoryNotFoundError:
            seen["deleted"] = True
        await client.delete_working_memory("trip", user_id="dana")
        seen["sessions_after"] = (await client.list_sessions(user_id="dana")).sessions
    config = MemoryClientConfig(base_url=base_url, default_namespace=namespace)
    async with MemoryAPIClient(config) as again:
        seen["closed_and_reopened"] = (await again.health_check()).now > 0
    return seen


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1], sys.argv[2])))
