"""Compaction over REST and as Docket tasks: copies and paraphrases fold into one memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from docket import Perpetual

from agent_memory_server.config import Settings
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.services.compaction import find_semantic_duplicate
from agent_memory_server.tasks.upkeep_tasks import (
    compact_long_term_memory,
    periodic_compaction,
)
from agent_memory_server.tasks.worker import drain
from tests.conftest import AppClient
from tests.support.llm_stub import LLMStub
from tests.support.worker import run_worker_until

BASE = 1_700_000_000
FACT = "The user is allergic to peanuts."
# Within 0.09 cosine distance of FACT with all-MiniLM-L6-v2 (0.017, 0.047, 0.055, 0.081).
PARAPHRASES = [
    "Peanuts give the user an allergic reaction.",
    "The user has an allergy to peanuts.",
    "The user is peanut-allergic.",
    "User is allergic to peanuts.",
]
UNRELATED = ["The user lives in Lisbon.", "The user is allergic to shellfish."]


def _memory(memory_id: str, text: str, i: int = 0, **extra: Any) -> dict[str, Any]:
    record = {
        "id": memory_id, "text": text, "namespace": "app", "user_id": "alice",
        "created_at": BASE + i * 3600, "topics": [f"t{i}"], "entities": [],
    }  # fmt: skip
    return {**record, **extra}


async def _write(app: AppClient, *memories: dict[str, Any]) -> None:
    body = {"memories": list(memories), "deduplicate": False}
    response = await app.http.post("/v1/long-term-memory/", json=body)
    assert response.status_code == 200, response.text


async def _compact(app: AppClient, **params: str) -> dict[str, Any]:
    response = await app.http.post("/v1/long-term-memory/compact", params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _listing(app: AppClient, **filters: Any) -> list[dict[str, Any]]:
    body = {"text": "", "limit": 100, **filters}
    response = await app.http.post("/v1/long-term-memory/search", json=body)
    memories: list[dict[str, Any]] = response.json()["memories"]
    return memories


async def _get(app: AppClient, memory_id: str) -> dict[str, Any] | None:
    response = await app.http.get(f"/v1/long-term-memory/{memory_id}")
    return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]


def _counts(scanned: int, exact: int, semantic: int, kept: int) -> dict[str, int]:
    return {
        "scanned": scanned, "exact_duplicates_removed": exact, "semantic_merged": semantic,
        "kept": kept,
    }  # fmt: skip


async def _five_copies(app: AppClient) -> None:
    # The newest copy is written first, so an older copy holds the dedup pointer.
    await _write(app, _memory("c4", FACT, 4))
    copies = [_memory(f"c{i}", FACT.upper() if i == 2 else FACT, i) for i in range(4)]
    await _write(app, *copies, _memory("other", UNRELATED[0], 9))


@pytest.mark.parametrize("with_llm", [False, True])
async def test_five_exact_copies_leave_one(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub, with_llm: bool
) -> None:
    llm = {"llm_provider": "openai", "openai_base_url": llm_stub.base_url} if with_llm else {}
    async with start_app(make_settings(**llm)) as app:
        await _five_copies(app)
        assert await _compact(app) == _counts(6, 4, 0, 2)
        kept = await _get(app, "c4")  # the newest copy's id and text
        assert kept is not None and kept["text"] == FACT
        assert set(kept["topics"]) == {f"t{i}" for i in range(5)}
        assert kept["created_at"] == "2023-11-14T22:13:20Z"  # the earliest copy's
        assert [await _get(app, f"c{i}") for i in range(4)] == [None] * 4
        assert llm_stub.chat_requests() == []  # copies need no LLM
        assert await _compact(app) == _counts(2, 0, 0, 2)  # idempotent

        # the kept record owns the dedup pointer: the same text is not stored again
        again = {**_memory("c5", FACT.lower(), 5)}
        await app.http.post("/v1/long-term-memory/", json={"memories": [again]})
        assert await _get(app, "c5") is None


async def test_five_paraphrases_leave_one_without_llm(app: AppClient) -> None:
    await _write(
        app,
        *(_memory(f"p{i}", text, i) for i, text in enumerate(PARAPHRASES)),
        _memory("newest", FACT, 5, metadata={"source": "chat"}),
        *(_memory(f"u{i}", text, 10 + i) for i, text in enumerate(UNRELATED)),
    )
    assert await _compact(app) == _counts(7, 0, 4, 3)
    remaining = {m["id"]: m for m in await _listing(app)}
    assert set(remaining) == {"newest", "u0", "u1"}
    merged = remaining["newest"]
    assert merged["text"] == FACT  # no LLM: the newest text
    assert set(merged["topics"]) == {"t0", "t1", "t2", "t3", "t5"}
    assert merged["created_at"] == "2023-11-14T22:13:20Z"
    assert merged["metadata"] == {"source": "chat"}
    assert await _compact(app) == _counts(3, 0, 0, 3)


async def test_five_paraphrases_merged_by_the_llm(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub
) -> None:
    merged_text = "The user has a severe peanut allergy and carries an EpiPen."
    llm_stub.state.reply = merged_text
    settings = make_settings(llm_provider="openai", openai_base_url=llm_stub.base_url)
    async with start_app(settings) as app:
        await _write(
            app,
            *(_memory(f"p{i}", text, i) for i, text in enumerate(PARAPHRASES)),
            _memory("newest", FACT, 5),
            *(_memory(f"u{i}", text, 10 + i) for i, text in enumerate(UNRELATED)),
        )
        assert await _compact(app) == _counts(7, 0, 4, 3)
        remaining = {m["id"]: m for m in await _listing(app)}
        assert set(remaining) == {"newest", "u0", "u1"}
        assert remaining["newest"]["text"] == merged_text
        prompt = llm_stub.chat_requests()[0]["body"]["messages"][-1]["content"]
        assert all(text in prompt for text in [*PARAPHRASES, FACT])
        assert prompt.index(PARAPHRASES[0]) < prompt.index(FACT)  # oldest first
        # re-embedded and re-hashed for its new text
        found = await app.http.post(
            "/v1/long-term-memory/search", json={"text": merged_text, "limit": 1}
        )
        best = found.json()["memories"][0]
        assert best["id"] == "newest" and best["dist"] < 0.01
        again = _memory("dup", merged_text.lower(), 6)
        await app.http.post("/v1/long-term-memory/", json={"memories": [again]})
        assert await _get(app, "dup") is None
        calls = len(llm_stub.chat_requests())
        assert await _compact(app) == _counts(3, 0, 0, 3)
        assert len(llm_stub.chat_requests()) == calls


async def test_pinned_records_are_left_alone(app: AppClient) -> None:
    await _write(
        app,
        _memory("pinned", FACT, 0, pinned=True),
        _memory("copy1", FACT, 1),
        _memory("copy2", FACT, 2),
        _memory("para", PARAPHRASES[3], 3),
    )
    before = await _get(app, "pinned")
    assert await _compact(app) == _counts(4, 1, 1, 2)
    assert await _get(app, "pinned") == before  # not rewritten, nothing merged into it
    assert {m["id"] for m in await _listing(app)} == {"pinned", "para"}


async def test_messages_and_other_types_are_not_merged(app: AppClient) -> None:
    await _write(
        app,
        _memory("said1", "Thanks, that helps.", 0, memory_type="message"),
        _memory("said2", "Thanks, that helps.", 1, memory_type="message"),
        _memory("fact", FACT, 2),
        _memory("event", FACT, 3, memory_type="episodic"),
        _memory("event2", PARAPHRASES[3], 4, memory_type="episodic"),
    )
    assert await _compact(app) == _counts(5, 0, 1, 4)
    assert {m["id"] for m in await _listing(app)} == {"said1", "said2", "fact", "event2"}


OWNERS: list[tuple[str | None, str | None]] = [
    ("app", "alice"), ("app", "bob"), ("other", "alice"), (None, "alice"), ("app", None),
    (None, None),
]  # fmt: skip


async def test_scoping_by_namespace_and_user(app: AppClient) -> None:
    memories = []
    for o, (namespace, user) in enumerate(OWNERS):
        for i in range(3):
            text = FACT if i < 2 else PARAPHRASES[3]
            memories.append(_memory(f"o{o}-{i}", text, i, namespace=namespace, user_id=user))
    await _write(app, *memories)

    assert await _compact(app, namespace="app", user_id="alice") == _counts(3, 1, 1, 1)
    alive = {o: [await _get(app, f"o{o}-{i}") is not None for i in range(3)] for o in range(6)}
    assert alive[0] == [False, False, True]
    assert all(alive[o] == [True] * 3 for o in range(1, 6))  # other owners untouched

    # everything: each owner keeps one memory; a missing namespace or user is its own owner
    assert await _compact(app) == _counts(16, 5, 5, 6)
    for o in range(6):
        assert [await _get(app, f"o{o}-{i}") is not None for i in range(3)] == [
            False, False, True,
        ], OWNERS[o]  # fmt: skip


async def test_find_semantic_duplicate(app: AppClient) -> None:
    await _write(app, _memory("fact", FACT), _memory("none", FACT, namespace=None, user_id=None))
    resources = app.resources
    (vector,) = await resources.embedder.embed([PARAPHRASES[3]])
    new = MemoryRecord.model_validate(_memory("new", PARAPHRASES[3]))
    assert await find_semantic_duplicate(resources, new, vector) == "fact"
    bob = new.model_copy(update={"user_id": "bob"})
    assert await find_semantic_duplicate(resources, bob, vector) is None
    nobody = new.model_copy(update={"namespace": None, "user_id": None})
    assert await find_semantic_duplicate(resources, nobody, vector) == "none"
    (far,) = await resources.embedder.embed([UNRELATED[0]])
    assert await find_semantic_duplicate(resources, new, far) is None
    itself = MemoryRecord.model_validate(_memory("fact", FACT))
    (same,) = await resources.embedder.embed([FACT])
    assert await find_semantic_duplicate(resources, itself, same) is None


async def test_compaction_task(make_settings: Callable[..., Settings], start_app: Any) -> None:
    async with start_app(make_settings(compaction_interval_minutes=0)) as app:
        await _five_copies(app)
        await app.resources.docket.add(compact_long_term_memory)("app", "bob")
        await drain(app.resources)
        assert await _get(app, "c0") is not None  # another user's scope: nothing changed
        await app.resources.docket.add(compact_long_term_memory)("app", "alice")
        await drain(app.resources)
        assert [m["id"] for m in await _listing(app)] == ["other", "c4"]


async def test_periodic_compaction_ticks(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(compaction_interval_minutes=30)) as app:
        resources = app.resources
        await _five_copies(app)
        tick = Perpetual()
        assert await periodic_compaction(perpetual=tick, resources=resources) is True
        key = resources.keys.job_last_run("compaction")
        ttl = await resources.redis.pttl(key)
        assert 29 * 60_000 < ttl <= 30 * 60_000
        # until the interval has passed, the next ticks do nothing
        assert await periodic_compaction(perpetual=tick, resources=resources) is False
        assert not tick.cancelled
        await drain(resources)
        assert [m["id"] for m in await _listing(app)] == ["other", "c4"]

    async with start_app(make_settings(compaction_interval_minutes=0)) as app:
        off = Perpetual()
        assert await periodic_compaction(perpetual=off, resources=app.resources) is False
        assert off.cancelled  # a job that is off does not stay queued


async def test_a_worker_runs_periodic_compaction_by_itself(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(compaction_interval_minutes=60)) as app:
        await _five_copies(app)
        resources = app.resources
        resources.docket.register(periodic_compaction)  # until tasks/collection.py lists it
        resources.docket.register(compact_long_term_memory)

        async def compacted() -> bool:
            return await _get(app, "c0") is None

        await run_worker_until(resources, compacted)  # the tick runs at worker start
        assert [m["id"] for m in await _listing(app)] == ["other", "c4"]
