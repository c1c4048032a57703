"""Every REST route of the server, through the async client, against a real server process.

The first test fails when the server grows a route the client does not call (OpenAPI vs
ROUTES); the second calls each route and checks what a user relies on in the answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from agent_memory_sdk import (
    ROUTES,
    Call,
    ClientMemoryRecord,
    CreateSummaryViewRequest,
    ForgetPolicy,
    InvalidRequestError,
    MemoryAPIClient,
    MemoryClientConfig,
    MemoryMessage,
    NotFoundError,
    WorkingMemory,
)
from agent_memory_sdk.filters import CreatedAt, Topics, UserId
from agent_memory_sdk.models import MemoryTypeEnum, TaskStatusEnum
from agent_memory_server.app import create_app
from agent_memory_server.config import Settings

SEMANTIC = MemoryTypeEnum.SEMANTIC


def test_the_client_calls_every_route_of_the_server() -> None:
    schema = create_app(Settings(_env_file=None)).openapi()  # type: ignore[call-arg]
    served = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    assert served - ROUTES == set(), "server routes the client does not cover"
    assert ROUTES - served == set(), "client routes the server does not serve"


async def test_every_route_answers_through_the_client(
    config: MemoryClientConfig,
    namespace: str,
    recorded: tuple[list[Call], Callable[[Call], None]],
) -> None:
    calls, hook = recorded
    async with MemoryAPIClient(config, on_call=hook) as client:
        await _health(client)
        await _working_memory(client, namespace)
        await _long_term_memory(client, namespace)
        await _summary_views(client, namespace)
        await _maintenance(client, namespace)
    assert {(c.method, c.route) for c in calls} == ROUTES


async def _health(client: MemoryAPIClient) -> None:
    now_ms = (await client.health_check()).now
    assert abs(now_ms / 1000 - datetime.now(UTC).timestamp()) < 60
    assert abs((await client.legacy_health_check()).now - now_ms / 1000) < 60
    assert (await client.liveness()).status == "alive"
    ready = await client.readiness()
    assert ready.ready and ready.checks["redis"] == "ok"
    assert "# TYPE" in await client.metrics()


async def _working_memory(client: MemoryAPIClient, namespace: str) -> None:
    """Get-or-create, put, append, data merge and replace, list; the original routes."""
    # (the session's owner is not ann: the worker extracts memories from its messages)
    created, session = await client.get_or_create_working_memory("s1", user_id="sam")
    assert created and session.messages == [] and session.namespace == namespace
    created, _ = await client.get_or_create_working_memory("s1", user_id="sam")
    assert not created
    put = await client.put_working_memory(
        "s1",
        WorkingMemory(
            session_id="s1", user_id="sam",
            messages=[MemoryMessage(role="user", content="I live in Porto.")],
            data={"prefs": {"theme": "dark", "lang": "pt"}},
        ),
    )  # fmt: skip
    assert [m.content for m in put.messages] == ["I live in Porto."]
    appended = await client.append_messages_to_working_memory(
        "s1", [{"role": "assistant", "content": "Noted: Porto."}], user_id="sam"
    )
    assert [m.role for m in appended.messages] == ["user", "assistant"]
    merged = await client.update_working_memory_data(
        "s1", {"prefs": {"lang": "en"}}, merge_strategy="deep_merge", user_id="sam"
    )
    assert merged.data == {"prefs": {"theme": "dark", "lang": "en"}}
    assert len(merged.messages) == 2
    replaced = await client.set_working_memory_data("s1", {"k": 1}, user_id="sam")
    assert replaced.data == {"k": 1} and len(replaced.messages) == 2
    got = await client.get_working_memory("s1", user_id="sam", recent_messages_limit=1)
    assert [m.content for m in got.messages] == ["Noted: Porto."]
    listed = await client.list_sessions(user_id="sam")
    assert listed.sessions == ["s1"] and listed.total == 1
    overview = await client.list_session_overviews(user_id="sam")
    assert [s.session_id for s in overview.sessions] == ["s1"] and overview.total == 1
    assert overview.sessions[0].message_count == len(replaced.messages) == 2

    # The original session routes
    assert (await client.legacy_list_sessions()).sessions == ["s1"]
    legacy = await client.legacy_get_session_memory("s1", user_id="sam", window_size=1)
    assert [m.content for m in legacy.messages] == ["Noted: Porto."]


async def _long_term_memory(client: MemoryAPIClient, namespace: str) -> None:
    """Create, get, edit, search, the memory prompt."""
    records = [
        ClientMemoryRecord(id="porto", text="Ann lives in Porto.", user_id="ann",
                           topics=["home"], memory_type=SEMANTIC),
        ClientMemoryRecord(id="cats", text="Ann has two cats named Fig and Olive.",
                           user_id="ann", topics=["pets"], memory_type=SEMANTIC),
        ClientMemoryRecord(id="bob", text="Bob plays the cello.", user_id="bob",
                           memory_type=SEMANTIC),
    ]  # fmt: skip
    assert (await client.create_long_term_memory(records)).status == "ok"
    one = await client.get_long_term_memory("porto")
    assert one.text == "Ann lives in Porto." and one.namespace == namespace
    edited = await client.edit_long_term_memory("porto", {"text": "Ann lives in Lisbon."})
    assert edited.text == "Ann lives in Lisbon."
    found = await client.search_long_term_memory(
        "Where does Ann live?", user_id=UserId(eq="ann"), topics=Topics(any=["home"])
    )
    assert [m.id for m in found.memories] == ["porto"]
    dated = await client.search_long_term_memory(
        "", created_at=CreatedAt(lte=datetime.now(UTC) + timedelta(minutes=1)),
        user_id=UserId(any=["ann", "bob"]), limit=10,
    )  # fmt: skip
    assert {m.id for m in dated.memories} == {"porto", "cats", "bob"}
    counts = await client.long_term_facets(["topics", "user_id"], user_id=UserId(eq="ann"))
    assert counts.total == 2
    assert {(c.value, c.count) for c in counts.facets["topics"]} >= {("home", 1), ("pets", 1)}
    assert [(c.value, c.count) for c in counts.facets["user_id"]] == [("ann", 2)]
    original = await client.legacy_search_long_term_memory(
        "cello", namespace={"eq": namespace}, search_mode="keyword"
    )
    assert [m.id for m in original.memories] == ["bob"]
    prompt = await client.memory_prompt(
        "Which pets does Ann have?", session_id="s1", user_id="sam",
        long_term_search={"user_id": {"eq": "ann"}, "limit": 1},
    )  # fmt: skip
    texts = [m["content"]["text"] for m in prompt["messages"]]
    assert texts[-1] == "Which pets does Ann have?"
    assert "Olive" in texts[-2] and "Noted: Porto." in texts


async def _summary_views(client: MemoryAPIClient, namespace: str) -> None:
    """Summary views, their partitions and their background task."""
    view = await client.create_summary_view(
        CreateSummaryViewRequest(name="per user", group_by=["user_id"],
                                 filters={"namespace": namespace})
    )  # fmt: skip
    assert [v.id for v in await client.list_summary_views() if v.id == view.id] == [view.id]
    assert (await client.get_summary_view(view.id)) == view
    part = await client.run_summary_view_partition(view.id, {"user_id": "bob"})
    assert "cello" in part.summary and part.memory_count == 1
    task = await client.run_summary_view(view.id, force=True)
    done = await client.wait_for_task(task.id, timeout=30)
    assert done.status == TaskStatusEnum.COMPLETED, done.error_message
    partitions = await client.list_summary_view_partitions(view.id, user_id="ann")
    assert [p.group for p in partitions] == [{"user_id": "ann"}]
    assert (await client.delete_summary_view(view.id)).status == "ok"
    assert await client.get_summary_view(view.id) is None
    assert await client.get_task("no-such-task") is None


async def _maintenance(client: MemoryAPIClient, namespace: str) -> None:
    """Topics, compaction, forgetting, deletion, erasure."""
    with pytest.raises(InvalidRequestError, match="topic modelling needs at least 10"):
        await client.model_long_term_topics(namespace=namespace, user_id="ann")
    compacted = await client.compact_long_term_memories(namespace=namespace, user_id="ann")
    assert compacted.scanned == 2 and compacted.kept == 2
    forget = await client.forget_long_term_memories(
        ForgetPolicy(budget=1), namespace=namespace, user_id="ann", dry_run=True
    )
    assert forget.dry_run and forget.scanned == 2 and forget.deleted == 1
    assert (await client.delete_long_term_memories(["cats"])).status == "ok, deleted 1 memories"
    assert (await client.legacy_delete_session_memory("s1", user_id="sam")).status == "ok"
    await client.append_messages_to_working_memory("s2", [{"role": "user", "content": "hi"}])
    assert (await client.delete_working_memory("s2")).status == "ok"
    erased = await client.erase_user("ann", namespace=namespace)
    assert erased.memories_deleted == 1
    with pytest.raises(NotFoundError):
        await client.get_long_term_memory("porto")
