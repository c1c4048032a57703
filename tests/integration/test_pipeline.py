"""The background pipeline: promotion, extraction (LLM stub and local), enrichment, retries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from agent_memory_server.config import Settings
from agent_memory_server.errors import BackendUnavailable, ConfigurationError
from agent_memory_server.services.promotion import process_session
from agent_memory_server.tasks.worker import drain
from tests.conftest import AppClient
from tests.support.llm_stub import LLMStub

CONVERSATION = [
    {"role": "user", "content": "Hi there!"},
    {"role": "assistant", "content": "Hello! How can I help?"},
    {"role": "user",
     "content": "My sister Maria is moving to Berlin next month for a job at Siemens."},
    {"role": "user", "content": "I am allergic to peanuts and I love spicy Thai food."},
]  # fmt: skip


async def _search(app: AppClient, **body: Any) -> dict[str, Any]:
    response = await app.http.post("/v1/long-term-memory/search", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _session(app: AppClient, session_id: str = "s") -> dict[str, Any]:
    response = await app.http.get(f"/v1/working-memory/{session_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_without_llm_memories_are_promoted_and_messages_extracted_locally(
    app: AppClient,
) -> None:
    body = {
        "messages": CONVERSATION, "namespace": "home", "user_id": "sam",
        "memories": [{"id": "pref", "text": "Sam prefers trains to planes."}],
    }  # fmt: skip
    put = await app.http.put("/v1/working-memory/s", json=body)
    assert put.json()["extraction_status"]["state"] == "pending"
    await drain(app.resources)

    session = await _session(app)
    assert session["memories"][0]["persisted_at"] is not None
    assert {m["discrete_memory_extracted"] for m in session["messages"]} == {"t"}
    assert session["extraction_status"]["state"] == "done"

    promoted = (await app.http.get("/v1/long-term-memory/pref")).json()
    assert promoted["namespace"] == "home" and promoted["user_id"] == "sam"
    assert promoted["session_id"] == "s"

    found = await _search(app, text="Where is Maria moving?", user_id={"eq": "sam"}, limit=3)
    top = found["memories"][0]
    assert "Berlin" in top["text"]
    assert {"Maria", "Berlin"} <= set(top["entities"])
    assert top["extraction_strategy"] == "discrete"
    assert top["extracted_from"]
    assert top["metadata"]["role"] == "user"  # a message's role goes with its memory
    food = await _search(app, text="food allergy", user_id={"eq": "sam"}, limit=1)
    assert "peanuts" in food["memories"][0]["text"]
    assert "food and cooking" in food["memories"][0]["topics"]
    greetings = await _search(app, text="Hi there! Hello! How can I help?", search_mode="keyword")
    assert all("Hello" not in m["text"] for m in greetings["memories"])  # small talk left out


async def test_llm_extraction_with_the_stub(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub
) -> None:
    llm_stub.state.reply = json.dumps({"memories": [
        {"type": "episodic", "text": "Maria, Sam's sister, moves to Berlin in June 2025.",
         "topics": ["family"], "entities": ["Maria", "Berlin"], "event_date": "2025-06-01"},
        {"type": "semantic", "text": "Sam is allergic to peanuts.", "topics": ["health"],
         "entities": ["Sam"], "event_date": None},
    ]})  # fmt: skip
    settings = make_settings(llm_provider="openai", openai_base_url=llm_stub.base_url)
    async with start_app(settings) as app:
        await app.http.put(
            "/v1/working-memory/s", json={"messages": CONVERSATION, "user_id": "sam"}
        )
        await drain(app.resources)
        listed = await _search(app, text="", user_id={"eq": "sam"})
        texts = {m["text"]: m for m in listed["memories"]}
        assert set(texts) == {
            "Maria, Sam's sister, moves to Berlin in June 2025.", "Sam is allergic to peanuts."
        }  # fmt: skip
        episodic = texts["Maria, Sam's sister, moves to Berlin in June 2025."]
        assert episodic["memory_type"] == "episodic"
        assert episodic["event_date"].startswith("2025-06-01")
        assert episodic["topics"] == ["family"]
        prompt = llm_stub.chat_requests()[-1]["body"]["messages"][-1]["content"]
        assert "My sister Maria is moving to Berlin" in prompt
        assert (await _session(app))["extraction_status"]["state"] == "done"


async def test_llm_failures_leave_messages_unextracted_until_a_retry_succeeds(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub
) -> None:
    llm_stub.state.reply = json.dumps(
        {"memories": [{"type": "semantic", "text": "Sam likes tea."}]}
    )
    settings = make_settings(llm_provider="openai", openai_base_url=llm_stub.base_url)
    async with start_app(settings) as app:
        resources = app.resources
        await app.http.put("/v1/working-memory/s", json={"messages": CONVERSATION})
        llm_stub.state.fail_next = 1
        with pytest.raises(BackendUnavailable):
            await process_session(resources, namespace=None, session_id="s")
        session = await _session(app)
        assert {m["discrete_memory_extracted"] for m in session["messages"]} == {"f"}
        assert session["extraction_status"]["state"] == "failed"
        assert "LLM" in session["extraction_status"]["error"]
        assert (await _search(app, text=""))["total"] == 0

        llm_stub.state.fail_next = 2  # the queued task fails twice more, then succeeds
        await drain(resources)
        session = await _session(app)
        assert {m["discrete_memory_extracted"] for m in session["messages"]} == {"t"}
        assert session["extraction_status"]["state"] == "done"
        assert [m["text"] for m in (await _search(app, text=""))["memories"]] == ["Sam likes tea."]


async def test_api_writes_get_topics_and_entities_in_the_background(app: AppClient) -> None:
    memories = [
        {"id": "a", "text": "Alice adopted a golden retriever puppy in Denver."},
        {"id": "b", "text": "Given tags stay.", "topics": ["mine"], "entities": []},
    ]
    await app.http.post("/v1/long-term-memory/", json={"memories": memories})
    await drain(app.resources)
    a = (await app.http.get("/v1/long-term-memory/a")).json()
    assert {"Alice", "Denver"} <= set(a["entities"])
    assert "pets" in a["topics"]
    b = (await app.http.get("/v1/long-term-memory/b")).json()
    assert b["topics"] == ["mine"] and b["entities"] == []
    by_topic = await _search(app, text="", topics={"any": ["pets"]})
    assert [m["id"] for m in by_topic["memories"]] == ["a"]


async def test_concurrent_writes_while_the_pipeline_runs_lose_nothing(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(embedded_worker=True)) as app:

        async def writer(n: int) -> None:
            for i in range(5):
                message = {
                    "role": "user",
                    "content": f"Writer {n} visited museum number {i} in Oslo.",
                }
                response = await app.http.post(
                    "/sessions/busy/memory", json={"messages": [message]}
                )
                assert response.status_code == 200

        await asyncio.gather(*(writer(n) for n in range(20)))
        await drain(app.resources)
        session = (await app.http.get("/v1/working-memory/busy")).json()
        assert len(session["messages"]) == 100
        assert len({m["id"] for m in session["messages"]}) == 100
        assert {m["discrete_memory_extracted"] for m in session["messages"]} == {"t"}
        extracted = await _search(app, text="", limit=100)
        # near-duplicate facts were merged, and a merge keeps every source message
        sources = {i for m in extracted["memories"] for i in m["extracted_from"]}
        assert sources == {m["id"] for m in session["messages"]}


async def test_the_same_fact_written_five_times_leaves_one_record(app: AppClient) -> None:
    """Exact copies are skipped at once; near-duplicates are merged right after the write."""
    texts = [
        "Alice lives in Paris.",
        "alice lives in paris.",
        "Alice lives in Paris now.",
        "Alice is living in Paris.",
        "ALICE LIVES IN PARIS",
    ]
    for i, text in enumerate(texts):
        memory = {"id": f"p{i}", "text": text, "user_id": "alice", "topics": ["home"]}
        await app.http.post("/v1/long-term-memory/", json={"memories": [memory]})
        await drain(app.resources)
    other = {"id": "bob", "text": "Alice lives in Paris.", "user_id": "bob"}
    await app.http.post("/v1/long-term-memory/", json={"memories": [other]})
    await drain(app.resources)
    alice = await _search(app, text="", user_id={"eq": "alice"})
    assert alice["total"] == 1, [m["text"] for m in alice["memories"]]
    assert alice["memories"][0]["topics"] == ["home"]
    assert (await _search(app, text="", user_id={"eq": "bob"}))["total"] == 1


async def test_llm_topics_and_entities_option(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub
) -> None:
    llm_stub.state.reply = json.dumps(
        {"items": [{"topics": ["Pets", "home"], "entities": ["Rex", "Lyon"]}]}
    )
    settings = make_settings(
        llm_provider="openai", openai_base_url=llm_stub.base_url,
        entity_extraction="llm", topic_extraction="llm",
    )  # fmt: skip
    async with start_app(settings) as app:
        memory = {"id": "rex", "text": "Our dog Rex sleeps on the sofa in Lyon."}
        await app.http.post("/v1/long-term-memory/", json={"memories": [memory]})
        await drain(app.resources)
        stored = (await app.http.get("/v1/long-term-memory/rex")).json()
        assert stored["topics"] == ["pets", "home"]
        assert stored["entities"] == ["Rex", "Lyon"]
        prompt = llm_stub.chat_requests()[0]["body"]["messages"][-1]["content"]
        assert "1. Our dog Rex sleeps on the sofa in Lyon." in prompt
    with pytest.raises(ConfigurationError, match="needs an LLM"):
        async with start_app(make_settings(topic_extraction="llm")):
            pass


async def test_writes_while_a_run_is_queued_queue_nothing_and_are_processed(
    app: AppClient,
) -> None:
    first = {"messages": CONVERSATION[:3], "namespace": "home", "user_id": "sam"}
    assert (await app.http.put("/v1/working-memory/q", json=first)).status_code == 200
    docket = app.resources.docket
    snapshot = await docket.snapshot()
    queued = len(snapshot.future) + len(snapshot.running)
    second = {**first, "messages": CONVERSATION}  # the client sends the session back, grown
    assert (await app.http.put("/v1/working-memory/q", json=second)).status_code == 200
    snapshot = await docket.snapshot()
    assert len(snapshot.future) + len(snapshot.running) == queued  # nothing more queued
    await drain(app.resources)  # the one queued run reads the session as it is now
    session = await _session(app, "q")
    assert {m["discrete_memory_extracted"] for m in session["messages"]} == {"t"}
    found = await _search(app, text="peanut allergy", user_id={"eq": "sam"}, limit=1)
    assert "peanuts" in found["memories"][0]["text"]

    third = {**first, "messages": [*CONVERSATION, {"role": "user", "content": "I adopted a "
             "greyhound called Pixel from the shelter in Leeds."}]}  # fmt: skip
    assert (await app.http.put("/v1/working-memory/q", json=third)).status_code == 200
    await drain(app.resources)  # the run cleared its mark: this write queued another
    session = await _session(app, "q")
    assert {m["discrete_memory_extracted"] for m in session["messages"]} == {"t"}


async def test_a_session_sent_back_whole_each_turn_is_extracted_once(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub
) -> None:
    """A client that keeps its own transcript PUTs every message again each turn, without the
    pipeline's flags: only what is new (or changed) goes to extraction again."""
    llm_stub.state.reply = json.dumps({"memories": []})
    settings = make_settings(llm_provider="openai", openai_base_url=llm_stub.base_url)
    turn = [dict(m, id=f"m{i}") for i, m in enumerate(CONVERSATION)]
    async with start_app(settings) as app:
        await app.http.put("/v1/working-memory/s", json={"messages": turn, "user_id": "sam"})
        await drain(app.resources)
        assert len(llm_stub.chat_requests()) == 1

        turn.append({"id": "m4", "role": "assistant", "content": "Noted: no peanuts."})
        turn[2] = dict(turn[2], content="My sister Maria moves to Munich next month.")  # edited
        put = await app.http.put("/v1/working-memory/s", json={"messages": turn, "user_id": "sam"})
        flags = {m["id"]: m["discrete_memory_extracted"] for m in put.json()["messages"]}
        assert flags == {"m0": "t", "m1": "t", "m2": "f", "m3": "t", "m4": "f"}
        await drain(app.resources)
        assert len(llm_stub.chat_requests()) == 2
        prompt = llm_stub.chat_requests()[-1]["body"]["messages"][-1]["content"]
        assert "Munich" in prompt and "Noted: no peanuts." in prompt
        assert "allergic to peanuts" not in prompt  # extracted already, sent back unchanged

        # A client that says "not extracted" is taken at its word.
        turn[0] = dict(turn[0], discrete_memory_extracted="f")
        put = await app.http.put("/v1/working-memory/s", json={"messages": turn, "user_id": "sam"})
        assert [m["discrete_memory_extracted"] for m in put.json()["messages"]][:2] == ["f", "t"]


async def test_messages_sent_back_keep_their_index_marks(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    """With INDEX_MESSAGES, a message sent back as stored keeps its `persisted_at` (it is not
    indexed again) and its extraction mark; nothing is left pending."""
    turn = [dict(m, id=f"i{i}") for i, m in enumerate(CONVERSATION)]
    async with start_app(make_settings(index_messages=True)) as app:
        await app.http.put("/v1/working-memory/x", json={"messages": turn, "user_id": "sam"})
        await drain(app.resources)
        stored = {m["id"]: m for m in (await _session(app, "x"))["messages"]}
        assert all(m["persisted_at"] for m in stored.values())
        put = await app.http.put("/v1/working-memory/x", json={"messages": turn, "user_id": "sam"})
        assert put.status_code == 200, put.text
        answer = put.json()
        assert answer["extraction_status"] is None and answer["new_session"] is False
        for message in answer["messages"]:
            kept = stored[message["id"]]
            assert message["persisted_at"] == kept["persisted_at"]
            assert message["discrete_memory_extracted"] == "t"
        assert (await _session(app, "x"))["messages"] == answer["messages"]


@pytest.mark.parametrize("index_messages", [False, True])
async def test_a_session_sent_back_with_nothing_new_queues_no_run(
    make_settings: Callable[..., Settings], start_app: Any, index_messages: bool
) -> None:
    """A session PUT back as stored, once processed, leaves its processing nothing to do: no
    run is queued. A new message, a message the client marks unextracted, or a carried
    memory not yet promoted each queue one."""
    turn = [dict(m, id=f"n{i}") for i, m in enumerate(CONVERSATION)]
    body = {"messages": turn, "namespace": "home", "user_id": "sam"}

    async def put_queues(update: dict[str, Any]) -> bool:
        put = await app.http.put("/v1/working-memory/n", json={**body, **update})
        assert put.status_code == 200, put.text
        snapshot = await app.resources.docket.snapshot()
        queued = len(snapshot.future) + len(snapshot.running) > 0
        await drain(app.resources)
        return queued

    async with start_app(make_settings(index_messages=index_messages)) as app:
        assert await put_queues({})  # everything is new
        assert not await put_queues({})  # sent back as stored
        assert not await put_queues({"data": {"mood": "calm"}})  # only the data changed
        grown = [*turn, {"id": "n9", "role": "user", "content": "I moved to Leeds last May."}]
        assert await put_queues({"messages": grown})
        assert not await put_queues({"messages": grown})
        unmarked = [dict(grown[0], discrete_memory_extracted="f"), *grown[1:]]
        assert await put_queues({"messages": unmarked})
        carried = [{"id": "carried", "text": "Sam takes the train to work."}]
        assert await put_queues({"messages": grown, "memories": carried})
        stored = (await app.http.get("/v1/long-term-memory/carried")).json()
        assert stored["user_id"] == "sam"
        found = await _search(app, text="moved to Leeds", user_id={"eq": "sam"}, limit=3)
        assert any("Leeds" in m["text"] for m in found["memories"])
