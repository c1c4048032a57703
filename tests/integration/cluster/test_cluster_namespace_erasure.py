"""On a Redis Cluster each namespace has its own index (storage/sharded.py): erasing the last
of a namespace's records drops that index and its entry in the namespace set, erasing one user
among several does not, the other namespaces still search, and a new write to the namespace
builds its index again, even from a process that had it cached as existing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
from redisvl.query.filter import FilterExpression, Tag

from agent_memory_server.config import Settings
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.storage.connection import connect
from agent_memory_server.storage.keys import Keys, namespace_marker
from agent_memory_server.storage.schema import VectorIndexParams
from agent_memory_server.storage.sharded import ShardedLongTermStore
from tests.conftest import AppClient
from tests.support.cluster import LocalCluster


def _indexes(cluster: LocalCluster) -> set[str]:
    """Every search index on the cluster's primaries."""
    names: set[str] = set()
    for node in cluster.nodes:
        with node.client() as client:
            if client.execute_command("ROLE")[0] == b"master":
                names.update(n.decode() for n in client.execute_command("FT._LIST"))
    return names


def _memory(memory_id: str, namespace: str, user: str) -> dict[str, str]:
    return {
        "id": memory_id, "namespace": namespace, "user_id": user,
        "text": f"{user} keeps bees by the {namespace} orchard ({memory_id})",
    }  # fmt: skip


async def _found(app: AppClient, namespace: str | None = None) -> tuple[set[str], int]:
    body: dict[str, Any] = {"text": "bees orchard", "limit": 50}
    if namespace is not None:
        body["namespace"] = {"eq": namespace}
    response = await app.http.post("/v1/long-term-memory/search", json=body)
    assert response.status_code == 200, response.text
    page = response.json()
    return {m["id"] for m in page["memories"]}, page["total"]


async def test_erasing_a_namespace_drops_its_index_and_a_write_brings_it_back(
    make_settings: Callable[..., Settings], start_app: Any, redis_cluster: LocalCluster
) -> None:
    settings = make_settings()
    keys = Keys(settings.key_prefix, cluster=True)
    index = {ns: keys.shard_index(namespace_marker(ns)) for ns in ("east", "west")}
    async with start_app(settings) as writer, start_app(settings) as eraser:
        memories = [
            _memory("e1", "east", "ann"), _memory("e2", "east", "bob"),
            _memory("w1", "west", "ann"), _memory("w2", "west", "cy"),
        ]  # fmt: skip
        stored = await writer.http.post("/v1/long-term-memory/", json={"memories": memories})
        assert stored.status_code == 200, stored.text
        assert {index["east"], index["west"]} <= _indexes(redis_cluster)

        # One user of two goes: the namespace keeps its index and its other records.
        erased = await eraser.http.delete("/v1/users/ann", params={"namespace": "east"})
        assert erased.json()["memories_deleted"] == 1
        assert index["east"] in _indexes(redis_cluster)
        assert await _found(eraser, "east") == ({"e2"}, 1)

        # The last one goes: so do the index and the namespace's entry in the set.
        erased = await eraser.http.delete("/v1/users/bob")
        assert erased.json()["memories_deleted"] == 1
        assert index["east"] not in _indexes(redis_cluster)
        assert index["west"] in _indexes(redis_cluster)
        markers = await eraser.resources.long_term.markers()  # type: ignore[attr-defined]
        assert namespace_marker("east") not in markers
        assert namespace_marker("west") in markers
        assert await _found(eraser, "east") == (set(), 0)
        assert await _found(eraser, "west") == ({"w1", "w2"}, 2)
        assert await _found(eraser) == ({"w1", "w2"}, 2)  # across namespaces

        # The writer created the east index and still believes it exists; its next write
        # there must build it again, or the record would be stored but never found.
        again = [_memory("e3", "east", "dee")]
        stored = await writer.http.post("/v1/long-term-memory/", json={"memories": again})
        assert stored.status_code == 200, stored.text
        assert index["east"] in _indexes(redis_cluster)
        assert await _found(eraser, "east") == ({"e3"}, 1)
        assert await _found(eraser) == ({"e3", "w1", "w2"}, 3)

        # Deleting by id empties a namespace as well.
        deleted = await eraser.http.delete(
            "/v1/long-term-memory", params={"memory_ids": ["w1", "w2"]}
        )
        assert deleted.status_code == 200, deleted.text
        assert index["west"] not in _indexes(redis_cluster)
        assert await _found(writer) == ({"e3"}, 1)


async def test_a_write_racing_the_drop_of_its_namespace_stays_searchable(
    redis_cluster: LocalCluster,
) -> None:
    """Two processes (two clients, two stores): one deletes a namespace's only record, which
    drops the index, while the other, holding the index as created, writes a new record there.
    However the two interleave, every stored record is found by the namespace's search."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    params = VectorIndexParams(4)
    writer_redis, eraser_redis = connect(redis_cluster.url), connect(redis_cluster.url)
    writer = ShardedLongTermStore(writer_redis, Keys(prefix, cluster=True), params)
    eraser = ShardedLongTermStore(eraser_redis, Keys(prefix, cluster=True), params)
    vector = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    where = Tag("namespace") == "pond"
    try:
        await writer.upsert([(_record("r0"), vector)])
        for i in range(1, 41):
            new = _record(f"r{i}")

            async def write_after(delay: float, new: MemoryRecord = new) -> None:
                await asyncio.sleep(delay)  # lands before, within or after the drop
                await writer.upsert([(new, vector)])

            await asyncio.gather(eraser.delete([f"r{i - 1}"]), write_after(i * 0.0005))
            assert await writer.exists([new.id]) == [True]
            assert await _found_soon(eraser, vector, where) == ([new.id], 1), f"round {i}"
    finally:
        await writer_redis.aclose()
        await eraser_redis.aclose()


async def _found_soon(
    store: ShardedLongTermStore, vector: np.ndarray[Any, Any], where: FilterExpression
) -> tuple[list[str], int]:
    """What the search finds, waiting up to 5 s for an index recreated over records already
    written (FT.CREATE indexes existing keys in the background)."""
    for _ in range(50):
        hits, total = await store.knn_with_total(vector, where, 10)
        if total:
            break
        await asyncio.sleep(0.1)
    return [h.id for h in hits], total


def _record(memory_id: str) -> MemoryRecord:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return MemoryRecord(
        id=memory_id, text=f"note {memory_id}", namespace="pond", user_id="u",
        created_at=when, updated_at=when, last_accessed=when,
    )  # fmt: skip
