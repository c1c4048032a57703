"""The published agent-memory-client 0.14 against a real server (uvicorn on a real socket):
long-term memory."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from agent_memory_client import MemoryAPIClient, MemoryClientConfig
from agent_memory_client.exceptions import MemoryNotFoundError
from agent_memory_client.filters import CreatedAt, Namespace, Topics, UserId
from agent_memory_client.models import (
    ClientMemoryRecord,
    MemoryMessage,
    MemoryRecordResults,
    MemoryTypeEnum,
    WorkingMemory,
)

from agent_memory_server.config import Settings

# Sixty distinct facts: near-duplicates would be merged by the server after the write.
SUBJECTS = (
    "the budget", "hiring", "a product launch", "security", "the office move", "pricing",
    "a customer outage", "vacation plans", "the database migration", "mobile apps",
    "quarterly goals", "a partnership", "onboarding", "documentation", "user research",
    "a trade fair", "tax rules", "the cafeteria", "parking spaces", "recycling",
    "an award", "cloud costs", "a lawsuit", "press coverage", "the summer party",
    "accessibility", "translations", "supplier contracts", "carbon emissions", "training",
    "a charity run", "the new logo", "printer problems", "remote work", "team lunches",
    "a hackathon", "open source licences", "API versioning", "the wiki", "salary bands",
    "a merger rumour", "fire drills", "coffee machines", "holiday rotas", "performance reviews",
    "bicycle storage", "the intranet", "board elections", "a museum visit", "insurance",
    "shipping delays", "a podcast", "the annual report", "keyboard shortcuts", "plant care",
    "chess club", "a volunteer day", "phone plans", "desk booking", "the time zone change",
)  # fmt: skip


def _memory(i: int, text: str, user: str, topics: list[str]) -> ClientMemoryRecord:
    return ClientMemoryRecord(
        id=f"m{i}", text=text, user_id=user, topics=topics, memory_type=MemoryTypeEnum.SEMANTIC
    )


async def test_long_term_memory_through_the_client(
    serve_app: Callable[[Settings], str], make_settings: Callable[..., Settings]
) -> None:
    url = serve_app(make_settings(embedded_worker=True))
    config = MemoryClientConfig(base_url=url, default_namespace="app")
    async with MemoryAPIClient(config) as client:
        ack = await client.create_long_term_memory(
            [_memory(1, "Alice prefers window seats on flights.", "alice", ["travel"])]
        )
        assert ack.status == "ok"
        batch = [
            _memory(i + 2, f"Alice's team meeting was about {subject}.", "alice", ["work"])
            for i, subject in enumerate(SUBJECTS)
        ] + [_memory(99, "Bob is vegetarian.", "bob", ["food"])]
        acks = await client.bulk_create_long_term_memories(
            [batch], batch_size=25, delay_between_batches=0
        )
        assert [a.status for a in acks] == ["ok"] * 3

        got = await client.get_long_term_memory("m1")
        assert got.text == "Alice prefers window seats on flights." and got.namespace == "app"

        edited = await client.edit_long_term_memory("m1", {"text": "Alice prefers aisle seats."})
        assert edited.text == "Alice prefers aisle seats."

        found = await client.search_long_term_memory(
            "Which seat does Alice like?", user_id=UserId(eq="alice"), topics=Topics(any=["travel"])
        )
        assert isinstance(found, MemoryRecordResults)
        assert [m.id for m in found.memories] == ["m1"] and found.total == 1
        assert found.memories[0].dist < 0.8

        dated = await client.search_long_term_memory(
            "", created_at=CreatedAt(lte=got.created_at), namespace=Namespace(eq="app"), limit=100
        )
        assert "m1" in {m.id for m in dated.memories}

        for mode in ("semantic", "keyword", "hybrid"):  # 0.14 has no search_mode argument
            body = {"text": "vegetarian", "search_mode": mode, "namespace": {"eq": "app"}}
            response = await client._client.post("/v1/long-term-memory/search", json=body)
            results = MemoryRecordResults(**response.json())
            assert results.memories[0].id == "m99", mode

        everything = [
            m async for m in client.search_all_long_term_memories(
                "team meeting", user_id=UserId(eq="alice"), batch_size=25
            )
        ]  # fmt: skip
        assert len(everything) == 61
        assert len({m.id for m in everything}) == 61

        wm = WorkingMemory(
            session_id="trip", namespace="app", user_id="alice", context="Booking a flight.",
            messages=[MemoryMessage(role="user", content="Book me a flight to Oslo.")],
        )  # fmt: skip
        await client.put_working_memory("trip", wm, user_id="alice")
        prompt = await client.memory_prompt(
            "Which seat should I pick?", session_id="trip", user_id="alice",
            context_window_max=8000, long_term_search={"limit": 3},
        )  # fmt: skip
        texts = [m["content"]["text"] for m in prompt["messages"]]
        assert "Booking a flight." in texts[0]
        assert texts[1] == "Book me a flight to Oslo."
        assert "aisle seats" in texts[2]
        assert texts[-1] == "Which seat should I pick?"

        deleted = await client.delete_long_term_memories(["m1", "m99"])
        assert deleted.status == "ok, deleted 2 memories"
        with pytest.raises(MemoryNotFoundError):
            await client.get_long_term_memory("m1")
