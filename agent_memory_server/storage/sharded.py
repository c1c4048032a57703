"""Long-term memory on a Redis Cluster, sharded by namespace.

Without a search coordinator (Redis OSS Cluster), an index sees only the documents of its own
shard. Here every namespace has its own index, and its records, access statistics and dedup
pointers share that index's hash tag (storage/keys.py): a search within a namespace is a
single-shard query, and namespaces spread over the shards by their tag's slot.

- A record's namespace is found from its id through a small key (`ltm_ns:<id>`), written
  before the record; the set `ltm_namespaces` lists every namespace that has an index.
- An index is created on the first write to its namespace, and dropped (with its entry in
  `ltm_namespaces`) by the delete that leaves the namespace without records. Another process
  may still write there, believing the index exists: each namespace has a key `ltm_live`
  ("1" while its index stands) in its hash tag, which every write sets to "1" in its own
  transaction, reading what it was. A drop sets it to "0", checks the index is empty, drops
  the index (not the documents: FT.DROPINDEX without DD), then takes the key (GETDEL): "1"
  means a write came in meanwhile, and the drop recreates the index over it. A write that
  finds anything but "1" makes sure the index exists. Either way no written record is left
  outside an index, and the write that found the index gone returns once the recreated
  index has scanned the records already there (FT.CREATE indexes them in the background;
  waited for up to 10 s), so it is searchable when acknowledged.
- A search whose filter names its namespaces (`namespace == x`, or any of a list, ANDed with
  the rest) asks only their indexes; any other search fans out over every namespace's index,
  concurrently, and merges: nearest first for vectors, highest BM25 first for keywords
  (each index scores with its own term statistics), newest first for listings; totals add up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError
from redisvl.query.filter import FilterExpression

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.storage.filters import namespaces_of
from agent_memory_server.storage.keys import Keys, namespace_marker
from agent_memory_server.storage.long_term import LongTermStore
from agent_memory_server.storage.long_term_scripts import READ_ACCESSES_AND_TOUCH
from agent_memory_server.storage.record_hash import to_hash
from agent_memory_server.storage.replies import Hit, as_str
from agent_memory_server.storage.schema import VectorIndexParams, long_term_schema
from agent_memory_server.storage.search_index import SearchIndex
from agent_memory_server.storage.session_terms import SessionTerms

T = TypeVar("T")
# Queries in flight at once when a search fans out over namespaces. Unbounded, a search over
# 300 namespaces opened hundreds of connections to each node at once and redis-py failed in
# the handshake of one ('NoneType' object has no attribute 'writelines'); a few per node
# keep every shard busy without that.
FAN_OUT_CONCURRENCY = 16


def _missing_index(error: ResponseError) -> bool:
    text = str(error).lower()
    return "no such index" in text or "unknown index" in text or "not found" in text


def _exists_already(error: ResponseError) -> bool:
    return "already exists" in str(error).lower()


class _Shard(LongTermStore):
    """One namespace's index and records: the single-node store with that namespace's keys."""

    def __init__(self, redis: Redis, keys: Keys, params: VectorIndexParams, marker: str) -> None:
        self.marker = marker
        super().__init__(redis, keys, params)

    def recreate(self, params: VectorIndexParams) -> None:
        self.params = params
        schema = long_term_schema(self.keys, params, self.marker)
        self.index = SearchIndex(schema, redis_client=self.redis)

    async def _locate(self, ids: Sequence[str]) -> list[tuple[str, str]]:
        k = self.keys
        return [(k.shard_record(self.marker, i), k.shard_access(self.marker, i)) for i in ids]

    def _records_prefix(self) -> str:
        return self.keys.shard_prefix(self.marker)

    async def create_index(self) -> None:
        try:
            await super().create_index()
        except ResponseError as e:  # another process created it meanwhile
            if not _exists_already(e):
                raise

    async def wait_indexed(self, seconds: float = 10.0) -> None:
        """Wait (bounded) until the index has scanned the keys that existed when it was made."""
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            try:
                if int((await self.index.info()).get("indexing", 0)) == 0:
                    return
            except ResponseError as e:  # a racing drop recreates it (see the module's notes)
                if not _missing_index(e):
                    raise
            await asyncio.sleep(0.01)

    async def is_empty(self) -> bool:
        """The index holds no record and is not still indexing existing keys (False when
        there is no index: its records, if any, are not known)."""
        try:
            info = await self.index.info()
        except ResponseError as e:
            if _missing_index(e):
                return False
            raise
        return int(info.get("num_docs", 1)) == 0 and int(info.get("indexing", 1)) == 0


class ShardedLongTermStore(LongTermStore):
    """The long-term store's interface over one index per namespace (cluster layout)."""

    one_trip_pages = False  # the page scripts read keys they are not given, slots apart

    def __init__(self, redis: Redis, keys: Keys, params: VectorIndexParams) -> None:
        super().__init__(redis, keys, params)
        self._shards: dict[str, _Shard] = {}
        self._indexed: set[str] = set()  # markers whose index this process knows exists

    def _shard(self, marker: str) -> _Shard:
        shard = self._shards.get(marker)
        if shard is None:
            shard = _Shard(self.redis, self.keys, self.params, marker)
            shard.recreate(self.params)
            self._shards[marker] = shard
        return shard

    async def markers(self) -> list[str]:
        return sorted(as_str(m) for m in await self.redis.smembers(self.keys.shard_markers))

    async def _targets(self, where: FilterExpression | None) -> list[str]:
        named = namespaces_of(where)
        if named is None:
            return await self.markers()
        return sorted(namespace_marker(n) for n in named)

    async def _fan_out(
        self, where: FilterExpression | None, run: Callable[[_Shard], Awaitable[T]]
    ) -> list[T]:
        """`run` on the index of every namespace the filter allows, concurrently (an index
        not created yet is left out)."""

        limit = asyncio.Semaphore(FAN_OUT_CONCURRENCY)

        async def one(marker: str) -> T | None:
            try:
                async with limit:
                    return await run(self._shard(marker))
            except ResponseError as e:
                if _missing_index(e):
                    return None
                raise

        found = await asyncio.gather(*(one(m) for m in await self._targets(where)))
        return [part for part in found if part is not None]

    # --- indexes ---------------------------------------------------------------------------

    async def ensure_index(self, marker: str) -> None:
        if marker in self._indexed:
            return
        await self._shard(marker).create_index()
        await self.redis.sadd(self.keys.shard_markers, marker)
        await self.redis.set(self.keys.shard_live(marker), "1")
        self._indexed.add(marker)

    async def create_index(self) -> None:
        for marker in await self.markers():
            await self.ensure_index(marker)

    async def indexed_dimension(self) -> int | None:
        for marker in await self.markers():
            dimension = await self._shard(marker).indexed_dimension()
            if dimension is not None:
                return dimension
        return None

    async def drop_index(self) -> None:
        for marker in await self.markers():
            await self._shard(marker).drop_index()
        self._indexed.clear()

    def recreate(self, params: VectorIndexParams) -> None:
        self.params = params
        for shard in self._shards.values():
            shard.recreate(params)
        self._indexed.clear()

    async def drop_namespace(self, namespace: str | None) -> bool:
        """Drop a namespace's index and bookkeeping if it holds no record; True if dropped."""
        return await self._drop_if_empty(namespace_marker(namespace))

    async def _drop_if_empty(self, marker: str) -> bool:
        shard = self._shard(marker)
        if not await shard.is_empty():
            return False
        live = self.keys.shard_live(marker)
        await self.redis.set(live, "0")
        if not await shard.is_empty():  # a write came in before the "0"
            await self.redis.set(live, "1")
            return False
        await self.redis.srem(self.keys.shard_markers, marker)
        self._indexed.discard(marker)
        try:
            await shard.index.delete(drop=False)  # never DD: a record written meanwhile stays
        except ResponseError as e:
            if not _missing_index(e):
                raise
        if as_str(await self.redis.getdel(live) or b"") == "1":  # written meanwhile
            await self.ensure_index(marker)
            return False
        self._shards.pop(marker, None)
        return True

    # --- records ---------------------------------------------------------------------------

    async def _markers_of(self, ids: Sequence[str]) -> list[str | None]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for memory_id in ids:
                pipe.get(self.keys.record_namespace(memory_id))
            return [None if m is None else as_str(m) for m in await pipe.execute()]

    async def _locate(self, ids: Sequence[str]) -> list[tuple[str, str]]:
        k = self.keys
        markers = await self._markers_of(ids)
        return [
            (k.shard_record(m or "-", i), k.shard_access(m or "-", i))
            for i, m in zip(ids, markers, strict=True)
        ]

    async def upsert(
        self, rows: Sequence[tuple[MemoryRecord, np.ndarray[Any, Any]]], reset_access: bool = False
    ) -> None:
        """Write records: each namespace's in one transaction (one slot); a record that moves
        to another namespace leaves its old one (whose index goes if that was its last)."""
        before = await self._markers_of([record.id for record, _ in rows])
        by_marker: dict[str, list[tuple[MemoryRecord, np.ndarray[Any, Any]]]] = {}
        for record, vector in rows:
            by_marker.setdefault(namespace_marker(record.namespace), []).append((record, vector))
        for marker in by_marker:
            await self.ensure_index(marker)
        async with self.redis.pipeline(transaction=False) as pipe:
            for (record, _), old in zip(rows, before, strict=True):
                marker = namespace_marker(record.namespace)
                pipe.set(self.keys.record_namespace(record.id), marker)
                if old is not None and old != marker:
                    pipe.delete(self.keys.shard_record(old, record.id))
                    pipe.delete(self.keys.shard_access(old, record.id))
            await pipe.execute()
        for marker, group in by_marker.items():
            async with self.redis.pipeline(transaction=True) as pipe:
                for record, vector in group:
                    key = self.keys.shard_record(marker, record.id)
                    pipe.delete(key)
                    pipe.hset(key, mapping=to_hash(record, vector))  # type: ignore[arg-type]
                    if reset_access:
                        pipe.delete(self.keys.shard_access(marker, record.id))
                pipe.set(self.keys.shard_live(marker), "1", get=True)
                was = (await pipe.execute())[-1]
            if was is None or as_str(was) != "1":  # the index was dropped, or is being dropped
                self._indexed.discard(marker)
                await self.ensure_index(marker)
                # The index came after the records: searchable once its scan has reached them.
                await self._shard(marker).wait_indexed()
        left = {old for old in before if old is not None and old not in by_marker}
        for marker in sorted(left):  # a namespace that records moved out of may now be empty
            await self._drop_if_empty(marker)

    async def delete(self, ids: Sequence[str]) -> int:
        """Delete records; a namespace left without records loses its index."""
        markers = await self._markers_of(ids)
        k = self.keys
        async with self.redis.pipeline(transaction=False) as pipe:
            for memory_id, marker in zip(ids, markers, strict=True):
                pipe.delete(k.shard_record(marker or "-", memory_id))
                pipe.delete(k.shard_access(marker or "-", memory_id))
                pipe.delete(k.record_namespace(memory_id))
            deleted = sum(int(r) for r in (await pipe.execute())[::3])
        for marker in sorted({m for m in markers if m is not None}):
            await self._drop_if_empty(marker)
        return deleted

    async def scan_ids(self, batch: int = 1000) -> list[str]:
        ids: list[str] = []
        for marker in await self.markers():
            ids.extend(await self._shard(marker).scan_ids(batch))
        return ids

    # --- searches --------------------------------------------------------------------------

    async def knn(
        self, vector: np.ndarray[Any, Any], where: FilterExpression | None, k: int,
        distance_threshold: float | None, extra: Sequence[str] = (),
    ) -> list[Hit]:  # fmt: skip
        parts = await self._fan_out(
            where, lambda s: s.knn(vector, where, k, distance_threshold, extra)
        )
        return _nearest([h for part in parts for h in part], k)

    async def knn_with_total(
        self, vector: np.ndarray[Any, Any], where: FilterExpression | None, k: int,
        full: bool = False, extra: Sequence[str] = (),
    ) -> tuple[list[Hit], int]:  # fmt: skip
        parts = await self._fan_out(
            where, lambda s: s.knn_with_total(vector, where, k, full, extra)
        )
        return _nearest([h for hits, _ in parts for h in hits], k), sum(t for _, t in parts)

    async def keyword(
        self, terms: Sequence[str], where: FilterExpression | None, k: int, full: bool = False,
        extra: Sequence[str] = (), vectors: bool = False,
    ) -> tuple[list[Hit], int]:  # fmt: skip
        parts = await self._fan_out(
            where, lambda s: s.keyword(terms, where, k, full, extra, vectors)
        )
        hits = sorted(
            (h for part, _ in parts for h in part),
            key=lambda h: (-(h.keyword_score or 0.0), h.id),
        )
        boundary = hits[k - 1].keyword_score if len(hits) >= k else None
        kept = [h for i, h in enumerate(hits) if i < k or h.keyword_score == boundary]
        return kept, sum(t for _, t in parts)

    def _queue_accesses(
        self, pipe: Pipeline, access_keys: Sequence[str], touched_at: datetime | None
    ) -> None:
        touched = "" if touched_at is None else touched_at.timestamp()
        for key in access_keys:  # records of several namespaces: slots apart, one call each
            pipe.eval(READ_ACCESSES_AND_TOUCH, 1, key, touched)

    def _accesses_of(self, replies: list[Any]) -> list[Any]:
        return [reply[0] for reply in replies]

    async def listing(
        self, where: FilterExpression | None, offset: int, limit: int
    ) -> tuple[list[MemoryRecord], int]:
        parts = await self._fan_out(where, lambda s: s.listing(where, 0, offset + limit))
        records = sorted(
            (r for part, _ in parts for r in part),
            key=lambda r: (-r.created_at.timestamp(), r.id),
        )
        return records[offset : offset + limit], sum(t for _, t in parts)

    async def count(self, where: FilterExpression | None) -> int:
        return sum(await self._fan_out(where, lambda s: s.count(where)))

    async def count_within(
        self, vector: np.ndarray[Any, Any], where: FilterExpression | None, threshold: float
    ) -> int:
        return sum(await self._fan_out(where, lambda s: s.count_within(vector, where, threshold)))

    async def group_counts(
        self, fields: Sequence[str], where: FilterExpression | None
    ) -> list[tuple[dict[str, str | None], int]]:
        parts = await self._fan_out(where, lambda s: s.group_counts(fields, where))
        merged: dict[tuple[str | None, ...], int] = {}
        for part in parts:
            for values, count in part:
                group = tuple(values.get(f) for f in fields)
                merged[group] = merged.get(group, 0) + count
        return [(dict(zip(fields, g, strict=True)), n) for g, n in merged.items()]

    async def session_terms(
        self, terms: Sequence[str], where: FilterExpression | None, max_sessions: int
    ) -> SessionTerms:
        """Summed over the namespaces' indexes (a session's records share its namespace)."""
        parts = await self._fan_out(where, lambda s: s.session_terms(terms, where, max_sessions))
        total = SessionTerms(matches=[{} for _ in terms])
        for part in parts:
            total.add(part)
        return total


def _nearest(hits: list[Hit], k: int) -> list[Hit]:
    return sorted(hits, key=lambda h: (h.distance if h.distance is not None else 2.0, h.id))[:k]
