"""Export and import: a round trip into an empty store loses nothing and searches the same."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from agent_memory_server.config import Settings
from agent_memory_server.errors import InvalidRequest
from agent_memory_server.models.filters import NumericFilter, TagFilter
from agent_memory_server.models.long_term import SearchRequest
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.resources import Resources, open_resources
from agent_memory_server.services.long_term import content_hash, create_memories
from agent_memory_server.services.search import search_memories
from agent_memory_server.services.transfer import (
    InvalidImportFile,
    check_import_file,
    export_records,
    import_records,
    to_line,
)
from tests.support.llm_stub import LLMStub
from tests.support.transfer_data import T0, sample_records

SEARCHES = [
    SearchRequest(text="who plays the cello", search_mode="semantic", limit=5),
    SearchRequest(text="peanut allergy", search_mode="keyword", limit=5),
    SearchRequest(text="where does Alice live", search_mode="hybrid", limit=5),
    SearchRequest(
        text="food and drink", search_mode="hybrid", limit=4, namespace=TagFilter(eq="app"),
        user_id=TagFilter(any=["alice", "bob"]), created_at=NumericFilter(gte=T0.timestamp()),
    ),
    SearchRequest(text="hobbies", search_mode="semantic", limit=6, recency_boost=True),
    SearchRequest(text="", limit=20, topics=TagFilter(eq="food")),
]  # fmt: skip


async def _export(
    resources: Resources, path: Path, namespace: str | None = None, user_id: str | None = None
) -> list[str]:
    lines = [
        to_line(r) async for r in export_records(resources, namespace=namespace, user_id=user_id)
    ]
    await asyncio.to_thread(path.write_text, "".join(f"{line}\n" for line in lines), "utf-8")
    return [json.loads(line)["id"] for line in lines]


async def _all(resources: Resources) -> list[MemoryRecord]:
    ids = sorted(await resources.long_term.scan_ids())
    return [r for r in await resources.long_term.get_many(ids) if r is not None]


async def _seed(resources: Resources) -> None:
    await create_memories(resources, sample_records(), deduplicate=False)
    # Searches would record these accesses; they are kept apart from the record's hash.
    await resources.long_term.touch(["m01", "m04"], T0 + timedelta(days=30, microseconds=1))


async def _seeded_and_exported(settings: Settings, path: Path) -> list[MemoryRecord]:
    """A store seeded with the sample records and exported to `path`: its records."""
    async with open_resources(settings) as source:
        await _seed(source)
        await _export(source, path)
        return await _all(source)


async def test_round_trip_into_an_empty_store_keeps_every_field_and_every_ranking(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    source_settings = make_settings(track_access=False, entity_extraction="none")
    target_settings = make_settings(track_access=False, entity_extraction="none")
    path = tmp_path / "memories.jsonl"
    async with open_resources(source_settings) as source:
        await _seed(source)
        exported = await _export(source, path)
        originals = await _all(source)
        async with open_resources(target_settings) as target:
            steps: list[tuple[int, int]] = []
            count = await import_records(target, path, lambda d, t: steps.append((d, t)))
            copies = await _all(target)
            rankings = [
                (await search_memories(source, r), await search_memories(target, r))
                for r in SEARCHES
            ]

    assert exported == [f"m{i:02d}" for i in range(11)]
    assert count == 11 and steps == [(11, 11)]
    assert [r.model_dump() for r in copies] == [r.model_dump() for r in originals]
    by_id = {r.id: r for r in copies}
    assert by_id["m01"].last_accessed == T0 + timedelta(days=30, microseconds=1)
    assert by_id["m06"].text == "Line one of a note\nline two: the garden needs water on Sundays."
    assert by_id["m05"].created_at == T0 + timedelta(hours=5, microseconds=5 * 7919)
    for request, (before, after) in zip(SEARCHES, rankings, strict=True):
        assert [m.id for m in after.memories] == [m.id for m in before.memories], request
        assert after.memories, request
        assert after.total == before.total
        if request.search_mode != "keyword":
            # BM25 scores (keyword mode) depend on the index's term statistics, which keep
            # deleted documents until RediSearch's GC runs; ids and order are compared above.
            assert [m.score for m in after.memories] == pytest.approx(
                [m.score for m in before.memories], abs=1e-4
            )
        assert [m.dist for m in after.memories] == pytest.approx(
            [m.dist for m in before.memories], abs=1e-4
        )


async def test_import_replaces_a_record_with_the_same_id_exactly(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    path = tmp_path / "memories.jsonl"
    originals = await _seeded_and_exported(make_settings(entity_extraction="none"), path)
    async with open_resources(make_settings(entity_extraction="none")) as target:
        # m03 is already taken in the target, by another text, owner and a later access.
        placeholder = MemoryRecord(id="m03", text="A placeholder.", user_id="zed")
        await create_memories(target, [placeholder], deduplicate=False)
        await target.long_term.touch(["m03"], T0 + timedelta(days=90))
        stale = target.keys.memory_hash(None, "zed", content_hash("A placeholder."))
        assert await target.redis.get(stale) == b"m03"
        assert await import_records(target, path) == 11
        assert await import_records(target, path) == 11  # again: the same records, no copies
        copies = await _all(target)
        assert not await target.redis.exists(stale)
        bob = originals[3]
        assert bob.memory_hash is not None
        fresh = target.keys.memory_hash(bob.namespace, bob.user_id, bob.memory_hash)
        assert await target.redis.get(fresh) == b"m03"
    assert [r.model_dump() for r in copies] == [r.model_dump() for r in originals]
    assert copies[3].user_id == "bob" and copies[3].last_accessed < T0 + timedelta(days=90)


async def test_export_filters_by_namespace_and_user(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    async with open_resources(make_settings(entity_extraction="none")) as resources:
        await _seed(resources)
        assert await _export(resources, tmp_path / "a", namespace="other") == ["m08", "m09", "m10"]
        assert await _export(resources, tmp_path / "b", user_id="bob") == ["m03", "m04", "m05"]
        both = await _export(resources, tmp_path / "c", namespace="other", user_id="carol")
        assert both == ["m08"]
        assert await _export(resources, tmp_path / "d", namespace="nowhere") == []


async def test_a_bad_file_is_refused_line_by_line_and_nothing_is_written(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    good = to_line(sample_records()[0])
    lines = [
        good,
        '{"id": "x1", "text": ',
        '{"id": "x2"}',
        '{"id": "x3", "text": "fine", "colour": "red"}',
        "",
        good,
        '{"text": "no id"}',
        '{"id": "x4", "text": "when?", "created_at": "yesterday"}',
        '["a list"]',
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    async with open_resources(make_settings(entity_extraction="none")) as resources:
        with pytest.raises(InvalidImportFile) as refused:
            await import_records(resources, path)
        assert await resources.long_term.scan_ids() == []
    problems = dict(refused.value.problems)
    assert sorted(problems) == [2, 3, 4, 6, 7, 8, 9]
    assert "Invalid JSON" in problems[2]
    assert problems[3] == "text: Field required"
    assert problems[4] == "colour: Extra inputs are not permitted"
    assert problems[6] == "id 'm00' is already on line 1"
    assert problems[7] == "id: Field required"
    assert problems[8].startswith("created_at: Input should be a valid datetime")
    assert "7 bad line(s), nothing was imported" in refused.value.message
    assert "line 2: Invalid JSON" in refused.value.message
    os.mkfifo(tmp_path / "fifo")  # a pipe cannot be read twice: refused before it is opened
    with pytest.raises(InvalidRequest, match="not a regular file"):
        check_import_file(tmp_path / "fifo")
    with pytest.raises(InvalidRequest, match="Cannot read"):
        check_import_file(tmp_path / "missing.jsonl")


async def test_import_re_embeds_with_the_target_embedder(
    make_settings: Callable[..., Settings], llm_stub: LLMStub, tmp_path: Path
) -> None:
    path = tmp_path / "memories.jsonl"
    originals = await _seeded_and_exported(make_settings(entity_extraction="none"), path)
    stub = make_settings(
        entity_extraction="none", topic_extraction="none", embedding_provider="openai",
        embedding_base_url=llm_stub.base_url, embedding_model="stub-embed",
        embedding_dimensions=64,
    )  # fmt: skip
    async with open_resources(stub) as target:
        assert await import_records(target, path) == 11
        copies = await _all(target)
        vectors = await target.long_term.get_vectors(["m03"])
        found = await search_memories(
            target, SearchRequest(text="cello quartet", search_mode="semantic", limit=1)
        )
    assert [r.model_dump() for r in copies] == [r.model_dump() for r in originals]
    assert vectors[0] is not None and vectors[0].shape == (64,)
    assert [m.id for m in found.memories] == ["m03"]


async def test_import_redacts_like_every_write(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    record = MemoryRecord(id="e1", text="Write to ada@example.org about the launch.")
    path = tmp_path / "one.jsonl"
    path.write_text(to_line(record) + "\n", encoding="utf-8")
    async with open_resources(make_settings(entity_extraction="none", redact=["emails"])) as target:
        assert await import_records(target, path) == 1
        (stored,) = await target.long_term.get_many(["e1"])
    assert stored is not None
    assert stored.text == "Write to [REDACTED:email] about the launch."
    assert stored.memory_hash == content_hash(stored.text)
    assert stored.created_at == record.created_at
