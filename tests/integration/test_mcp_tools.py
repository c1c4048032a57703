"""Every MCP tool through `fastmcp.Client(server)` in memory, on the test Redis."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fastmcp import Client
from redis.asyncio import Redis

from agent_memory_server.config import Settings
from agent_memory_server.mcp.server import create_mcp_server
from agent_memory_server.resources import open_resources
from agent_memory_server.storage.long_term import LongTermStore
from tests.support.mcp import TOOLS, call, description_text, error_of, kind

FACTS = [
    {"id": "m1", "text": "Alice moved to Paris in 2021.", "user_id": "alice",
     "namespace": "travel", "topics": ["home"], "entities": ["Alice", "Paris"]},
    {"id": "m2", "text": "Alice is allergic to peanuts.", "user_id": "alice",
     "namespace": "health", "topics": ["food", "health"], "entities": ["Alice"]},
    {"id": "m3", "text": "Bob plays the cello every Sunday.", "user_id": "bob",
     "namespace": "hobbies", "topics": ["music"], "entities": ["Bob"]},
]  # fmt: skip


@pytest.fixture
async def client(make_settings: Callable[..., Settings]) -> AsyncIterator[Client[Any]]:
    async with Client(create_mcp_server(make_settings())) as connected:
        yield connected


async def test_lists_every_tool_and_keeps_descriptions_short(client: Client[Any]) -> None:
    tools = await client.list_tools()
    assert {t.name for t in tools} == TOOLS
    for tool in tools:
        assert tool.description and "Example:" in tool.description, tool.name
    total = description_text(tools)
    print(f"\ntotal tool + parameter description text: {total} characters in {len(tools)} tools")
    assert total < 6000


async def test_long_term_tools_round_trip(client: Client[Any]) -> None:
    stored = await call(client, "create_long_term_memories", memories=FACTS)
    assert stored == {"status": "ok", "ids": ["m1", "m2", "m3"]}

    found = await call(
        client, "search_long_term_memory", text="Where does Alice live?",
        user_id={"eq": "alice"}, limit=1,
    )  # fmt: skip
    assert [m["id"] for m in found["memories"]] == ["m1"]
    assert found["total"] == 2 and found["next_offset"] == 1
    by_topic = await call(client, "search_memory", text="", topics={"any": ["music", "health"]})
    assert {m["id"] for m in by_topic["memories"]} == {"m2", "m3"}
    recent = await call(
        client, "search_long_term_memory", text="", created_at={"gte": time.time() - 600}
    )
    assert recent["total"] == 3

    got = await call(client, "get_long_term_memory", memory_id="m2")
    assert got["text"] == "Alice is allergic to peanuts." and got["namespace"] == "health"

    edited = await call(
        client, "edit_long_term_memory", memory_id="m1", text="Alice moved to Rome.", pinned=True
    )
    assert edited["text"] == "Alice moved to Rome." and edited["pinned"] is True
    again = await call(client, "search_long_term_memory", text="Which city is Alice in?", limit=1)
    assert again["memories"][0]["text"] == "Alice moved to Rome."  # re-embedded

    deleted = await call(client, "delete_long_term_memories", memory_ids=["m2", "nope"])
    assert deleted == {"status": "ok, deleted 1 memories"}
    assert kind(await error_of(client, "get_long_term_memory", memory_id="m2")) == "Not found"


async def test_working_memory_prompt_compact_and_time(client: Client[Any]) -> None:
    saved = await call(
        client, "set_working_memory", session_id="chat-1", user_id="alice",
        messages=[{"role": "user", "content": "I am planning a trip to Oslo."},
                  {"role": "assistant", "content": "Sounds great!"}],
        context="Alice talks about travel.", data={"trip": "Oslo"},
        model_name="gpt-4o-mini",
    )  # fmt: skip
    assert saved["new_session"] is True and saved["tokens"] > 0
    got = await call(client, "get_working_memory", session_id="chat-1", recent_messages_limit=1)
    assert [m["content"] for m in got["messages"]] == ["Sounds great!"]
    assert got["data"] == {"trip": "Oslo"} and got["user_id"] == "alice"

    await call(client, "create_long_term_memories", memories=FACTS)
    prompt = await call(
        client, "memory_prompt", query="Where does Alice live?", session_id="chat-1",
        model_name="gpt-4o-mini", long_term_search={"limit": 2},
    )  # fmt: skip
    texts = [m["content"]["text"] for m in prompt["messages"]]
    assert texts[0].endswith("Alice talks about travel.")  # the summary first
    assert texts[1:3] == ["I am planning a trip to Oslo.", "Sounds great!"]
    assert "Alice moved to Paris in 2021." in texts[3] and texts[4] == "Where does Alice live?"
    assert {m["id"] for m in prompt["long_term_memories"]} <= {"m1", "m2"}  # alice's only

    copy = {**FACTS[0], "id": "m1-copy", "text": "alice moved to  PARIS in 2021."}
    await call(client, "create_long_term_memories", memories=[copy], deduplicate=False)
    compacted = await call(
        client, "compact_long_term_memories", namespace="travel", user_id="alice"
    )
    assert compacted["exact_duplicates_removed"] == 1 and compacted["kept"] == 1

    now = await call(client, "get_current_datetime")
    assert abs(now["unix_ts"] - time.time()) < 60 and now["iso_utc"].endswith("+00:00")


async def test_errors_name_the_problem_and_the_retry(client: Client[Any]) -> None:
    await call(client, "create_long_term_memories", memories=FACTS)
    two_ops = await error_of(
        client, "search_long_term_memory", text="x", namespace={"eq": "a", "ne": "b"}
    )
    assert two_ops.startswith("Invalid input: namespace:") and "exactly one of" in two_ops
    assert "will fail again" in two_ops
    short = await error_of(client, "search_long_term_memory", created_at={"between": [1]})
    assert "between takes exactly 2 values" in short
    assert kind(await error_of(client, "search_long_term_memory", limit=500)) == "Invalid input"
    unknown = await error_of(client, "create_long_term_memories", memories=[{"txt": "typo"}])
    assert kind(unknown) == "Invalid input" and "memories.0" in unknown

    missing = await error_of(client, "edit_long_term_memory", memory_id="zz", pinned=True)
    assert missing.startswith("Not found: Memory 'zz' not found.")
    same = await error_of(client, "edit_long_term_memory", memory_id="m1", pinned=False)
    assert kind(same) == "Invalid request" and "Nothing to change" in same
    empty = await error_of(client, "delete_long_term_memories", memory_ids=[])
    assert kind(empty) == "Invalid input"

    for namespace in ("a", "b"):
        await call(client, "set_working_memory", session_id="twin", namespace=namespace)
    ambiguous = await error_of(client, "get_working_memory", session_id="twin")
    assert kind(ambiguous) == "Conflict" and "pass namespace" in ambiguous
    assert kind(await error_of(client, "get_working_memory", session_id="none")) == "Not found"
    late = await error_of(
        client, "set_working_memory", session_id="s",
        messages=[{"role": "user", "content": "hi", "created_at": "2999-01-01T00:00:00Z"}],
    )  # fmt: skip
    assert kind(late) == "Invalid input" and "in the future" in late
    window = await error_of(client, "get_working_memory", session_id="a", context_window_max=5)
    assert kind(window) == "Invalid input" and "context_window_max" in window


async def test_failures_do_not_leak_internals(
    make_settings: Callable[..., Settings], bare_redis_url: str
) -> None:
    """A long-term store on a port where no Redis listens (unavailable: retry), then on a Redis
    without the search module (an internal error): neither message says anything inside."""
    async with open_resources(make_settings()) as resources:
        messages = []
        for url, tool, arguments in [
            ("redis://127.0.0.1:1/0", "get_long_term_memory", {"memory_id": "m1"}),
            (bare_redis_url, "search_long_term_memory", {"text": "bees", "search_mode": "keyword"}),
        ]:
            other = Redis.from_url(url)
            params = resources.long_term.params
            broken = dataclasses.replace(
                resources, long_term=LongTermStore(other, resources.keys, params)
            )
            async with Client(create_mcp_server(lambda b=broken: b)) as client:
                messages.append(await error_of(client, tool, **arguments))
            await other.aclose()
    unreachable, unexpected = messages
    assert unreachable == "Unavailable: Redis is unreachable. Retry in a few seconds."
    assert unexpected.startswith("Internal error in search_long_term_memory")
    assert "retry may help" in unexpected
    for message in messages:
        for internal in ("127.0.0.1", "Connect", "Error ", "Traceback", "redis", "FT."):
            assert internal not in message


async def test_default_namespace_and_user_from_settings(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(mcp_default_namespace="team-a", mcp_default_user_id="carol")
    async with Client(create_mcp_server(settings)) as client:
        await call(client, "create_long_term_memories", memories=[
            {"id": "own", "text": "Carol likes green tea."},
            {"id": "other", "text": "Dan likes coffee.", "namespace": "team-b", "user_id": "dan"},
        ])  # fmt: skip
        own = await call(client, "get_long_term_memory", memory_id="own")
        assert (own["namespace"], own["user_id"]) == ("team-a", "carol")
        default = await call(client, "search_long_term_memory", text="What do they drink?")
        assert [m["id"] for m in default["memories"]] == ["own"]
        named = await call(
            client, "search_long_term_memory", text="What do they drink?",
            namespace={"eq": "team-b"}, user_id={"eq": "dan"},
        )  # fmt: skip
        assert [m["id"] for m in named["memories"]] == ["other"]
        prompt = await call(client, "memory_prompt", query="What does Carol drink?")
        assert [m["id"] for m in prompt["long_term_memories"]] == ["own"]
        saved = await call(client, "set_working_memory", session_id="s1")
        assert (saved["namespace"], saved["user_id"]) == ("team-a", "carol")
