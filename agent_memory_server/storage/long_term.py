"""Long-term store: records as Redis hashes with a float32 vector, indexed by RediSearch.

Reads and writes are pipelined; searches go through redisvl queries on one index
(storage/schema.py). Content-hash dedup uses a pointer key per (namespace, user, hash) set
with SET NX, so two concurrent writers of the same text cannot both insert it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redisvl.query import CountQuery, FilterQuery, VectorRangeQuery
from redisvl.query.filter import FilterExpression

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.storage.dedup import HashPointer
from agent_memory_server.storage.filters import text_query_string
from agent_memory_server.storage.keys import Keys
from agent_memory_server.storage.keyword_page import PageHit, SearchPages, keyword_hits
from agent_memory_server.storage.long_term_scripts import (
    DROP_POINTER,
    HSET_IF_EXISTS,
    READ_ACCESSES_AND_TOUCH,
)
from agent_memory_server.storage.record_hash import (
    scan_record_ids,
    to_hash,
    with_access,
)
from agent_memory_server.storage.replies import (
    RANK_FIELDS,
    Hit,
    as_str,
    knn_hits,
    make_hit,
    search_docs,
)
from agent_memory_server.storage.schema import TAG_SEPARATOR, VectorIndexParams, long_term_schema
from agent_memory_server.storage.search_index import SearchIndex
from agent_memory_server.storage.session_terms import SessionTermsStore
from agent_memory_server.storage.summary_views import group_counts

MAX_TIE_FETCH = 2000


def _text(value: bytes | str | None) -> str | None:
    return None if value is None else as_str(value)


def _keyword_query(terms: Sequence[str], where: FilterExpression | None) -> str:
    """BM25 over the text field, any term matching, within `where`."""
    query_string = text_query_string("text", terms)
    return query_string if where is None else f"({query_string}) {where}"


def _returned(fields: list[str], full: bool) -> list[Any]:
    """The RETURN clause: the ranking fields, or nothing, which returns the whole hash as
    stored (a RETURN of an indexed NUMERIC field gives the index's value, rounded to 12
    digits: 10 ms of a timestamp)."""
    return [] if full else ["RETURN", len(fields), *fields]


class LongTermStore(SessionTermsStore):
    """Upsert / get / delete records and run the three kinds of search over one index."""

    one_trip_pages = True  # the page scripts (storage/keyword_page.py) can run here

    def __init__(self, redis: Redis, keys: Keys, params: VectorIndexParams) -> None:
        self.redis = redis
        self.keys = keys
        self.params = params
        self.index = SearchIndex(long_term_schema(keys, params), redis_client=redis)
        self._drop_pointer = redis.register_script(DROP_POINTER)
        self._pages = SearchPages(redis, keys, MAX_TIE_FETCH)

    async def create_index(self) -> None:
        if not await self.index.exists():
            await self.index.create(overwrite=False)

    async def indexed_dimension(self) -> int | None:
        """The vector dimension of the existing index, or None when there is no index."""
        if not await self.index.exists():
            return None
        info = await self.index.info()
        for attribute in info.get("attributes", []):
            values = [as_str(v) if isinstance(v, bytes) else v for v in attribute]
            if "vector" in values and "dim" in values:
                return int(values[values.index("dim") + 1])
        return None

    async def drop_index(self) -> None:
        """Drop the index only; the record hashes stay (used by rebuild-index)."""
        if await self.index.exists():
            await self.index.delete(drop=False)

    def recreate(self, params: VectorIndexParams) -> None:
        self.params = params
        self.index = SearchIndex(long_term_schema(self.keys, params), redis_client=self.redis)

    def _pointer_key(self, pointer: HashPointer) -> str:
        return self.keys.memory_hash(pointer.namespace, pointer.user_id, pointer.digest)

    async def claim_hashes(self, claims: Sequence[tuple[HashPointer, str]]) -> list[str | None]:
        """SET NX each (pointer, id); returns the id already holding a pointer, or None."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for pointer, memory_id in claims:
                pipe.set(self._pointer_key(pointer), memory_id, nx=True, get=True)
            results = await pipe.execute()
        return [None if r is None else as_str(r) for r in results]

    async def _locate(self, ids: Sequence[str]) -> list[tuple[str, str]]:
        """The keys of each record: (its hash, its access statistics). Here they follow from
        the id; the cluster layout (storage/sharded.py) looks up each record's namespace."""
        return [(self.keys.long_term(i), self.keys.long_term_access(i)) for i in ids]

    async def exists(self, ids: Sequence[str]) -> list[bool]:
        located = await self._locate(ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, _ in located:
                pipe.exists(key)
            return [bool(r) for r in await pipe.execute()]

    async def owners(self, ids: Sequence[str]) -> list[tuple[str | None, str | None] | None]:
        """The (namespace, user_id) of each stored record, None where there is none."""
        located = await self._locate(ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, _ in located:
                pipe.hmget(key, ["memory_id", "namespace", "user_id"])
            rows = await pipe.execute()
        return [
            None if found is None else (_text(namespace), _text(user_id))
            for found, namespace, user_id in rows
        ]

    async def set_pointers(self, pointers: Sequence[tuple[HashPointer, str]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for pointer, memory_id in pointers:
                pipe.set(self._pointer_key(pointer), memory_id)
            await pipe.execute()

    async def drop_pointer(self, pointer: HashPointer, memory_id: str) -> None:
        """Delete the pointer if it still points at `memory_id`."""
        await self._drop_pointer(keys=[self._pointer_key(pointer)], args=[memory_id])

    async def group_counts(
        self, fields: Sequence[str], where: FilterExpression | None
    ) -> list[tuple[dict[str, str | None], int]]:
        """Distinct combinations of `fields` among the records matching `where`, with counts."""
        return await group_counts(self.redis, self.index.name, fields, where)

    async def upsert(
        self, rows: Sequence[tuple[MemoryRecord, np.ndarray[Any, Any]]], reset_access: bool = False
    ) -> None:
        """Write records (replacing any with the same id) in one pipelined transaction.

        `reset_access` also drops the records' access statistics, so that `last_accessed` and
        `access_count` read back exactly as written (imports).
        """
        async with self.redis.pipeline(transaction=True) as pipe:
            for record, vector in rows:
                key = self.keys.long_term(record.id)
                pipe.delete(key)
                pipe.hset(key, mapping=to_hash(record, vector))  # type: ignore[arg-type]
                if reset_access:
                    pipe.delete(self.keys.long_term_access(record.id))
            await pipe.execute()

    async def get_many(
        self, ids: Sequence[str], touched_at: datetime | None = None
    ) -> list[MemoryRecord | None]:
        """Records by id (None where missing), with their latest access from the access keys.

        With `touched_at`, the same round trip records an access of each (a search's page;
        the records are read before it), as `touch` does.
        """
        located = await self._locate(ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, _ in located:
                # HGETALL: short commands cost less to send than HMGET of every field name.
                pipe.hgetall(key)
            self._queue_accesses(pipe, [access for _, access in located], touched_at)
            replies = await pipe.execute()
        rows, accesses = replies[: len(located)], self._accesses_of(replies[len(located) :])
        return [
            with_access({as_str(n): v for n, v in row.items()}, access) if row else None
            for row, access in zip(rows, accesses, strict=True)
        ]

    async def complete(
        self, docs: Sequence[dict[str, Any]], touched_at: datetime | None = None
    ) -> list[MemoryRecord]:
        """Records from the fields a search returned, with their latest access (read, and
        recorded when `touched_at`, in one round trip): `get_many` without reading the hashes."""
        located = await self._locate([as_str(doc["memory_id"]) for doc in docs])
        async with self.redis.pipeline(transaction=False) as pipe:
            self._queue_accesses(pipe, [access for _, access in located], touched_at)
            accesses = self._accesses_of(await pipe.execute())
        return [with_access(dict(d), a) for d, a in zip(docs, accesses, strict=True)]

    def _queue_accesses(
        self, pipe: Pipeline, access_keys: Sequence[str], touched_at: datetime | None
    ) -> None:
        """The access hashes of records as they were, and the access recorded when
        `touched_at`: one script call for them all (a search page of 10 sent 10 commands), as
        `_accesses_of` reads its reply. EVAL, not EVALSHA: a pipeline's EVALSHA would cost a
        SCRIPT EXISTS round trip first (redis-py), and the server caches the compiled body."""
        if access_keys:
            touched = "" if touched_at is None else touched_at.timestamp()
            pipe.eval(READ_ACCESSES_AND_TOUCH, len(access_keys), *access_keys, touched)

    def _accesses_of(self, replies: list[Any]) -> list[Any]:
        return replies[0] if replies else []

    async def last_accesses(self, ids: Sequence[str]) -> list[float | None]:
        """Latest access time of each record, from its access key (None: never accessed)."""
        located = await self._locate(ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for _, access_key in located:
                pipe.hget(access_key, "last_accessed")
            rows = await pipe.execute()
        return [None if raw is None else float(raw) for raw in rows]

    async def set_tags(self, rows: Sequence[tuple[str, list[str], list[str]]]) -> None:
        """Write topics and entities of existing records (id, topics, entities)."""
        located = await self._locate([memory_id for memory_id, _, _ in rows])
        async with self.redis.pipeline(transaction=False) as pipe:
            for (key, _), (_, topics, entities) in zip(located, rows, strict=True):
                fields = {
                    "topics": TAG_SEPARATOR.join(topics),
                    "entities": TAG_SEPARATOR.join(entities),
                }
                pipe.eval(HSET_IF_EXISTS, 1, key, *(x for kv in fields.items() for x in kv))
            await pipe.execute()

    async def get_vectors(self, ids: Sequence[str]) -> list[np.ndarray[Any, Any] | None]:
        located = await self._locate(ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, _ in located:
                pipe.hget(key, "vector")
            rows = await pipe.execute()
        return [None if raw is None else np.frombuffer(raw, dtype=np.float32) for raw in rows]

    async def delete(self, ids: Sequence[str]) -> int:
        located = await self._locate(ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, access_key in located:
                pipe.delete(key)
                pipe.delete(access_key)
            return sum(int(r) for r in (await pipe.execute())[::2])

    async def touch(self, ids: Sequence[str], now: datetime) -> None:
        """Record an access of these records."""
        # Access statistics live in a separate, unindexed hash per record: writing the indexed
        # hash would make RediSearch re-index the document (and re-insert its vector into
        # HNSW) on every read.
        located = await self._locate(ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for _, key in located:
                pipe.hset(key, "last_accessed", now.timestamp())
                pipe.hincrby(key, "access_count", 1)
            await pipe.execute()

    def _knn_command(
        self, vector: np.ndarray[Any, Any], where: FilterExpression | None, k: int, full: bool,
        extra: Sequence[str] = (),
    ) -> list[Any]:  # fmt: skip
        """FT.SEARCH KNN: the ranking fields (+ `extra`, or whole records), nearest first."""
        query, blob = self._knn_query(vector, where, k)
        returned = _returned([*RANK_FIELDS, *extra, "vector_distance"], full)
        return [
            "FT.SEARCH", self.index.name, query, "PARAMS", 2, "vector", blob, *returned,
            "SORTBY", "vector_distance", "ASC", "LIMIT", 0, k, "DIALECT", 2,
        ]  # fmt: skip

    def _knn_query(
        self, vector: np.ndarray[Any, Any], where: FilterExpression | None, k: int
    ) -> tuple[str, bytes]:
        """The KNN query (k nearest within `where`, as vector_distance) and $vector's bytes."""
        scope = f"({where})" if where is not None else "*"
        ef = max(self.params.ef_runtime, k)
        query = f"{scope}=>[KNN {k} @vector $vector EF_RUNTIME {ef} AS vector_distance]"
        return query, np.asarray(vector, dtype=np.float32).tobytes()

    async def knn(
        self, vector: np.ndarray[Any, Any], where: FilterExpression | None, k: int,
        distance_threshold: float | None, extra: Sequence[str] = (),
    ) -> list[Hit]:  # fmt: skip
        if distance_threshold is None:
            command = self._knn_command(vector, where, k, False, extra)
            return knn_hits(await self.redis.execute_command(*command))  # type: ignore[no-untyped-call]
        query = VectorRangeQuery(
            vector=np.asarray(vector, dtype=np.float32).tobytes(), vector_field_name="vector",
            return_fields=[*RANK_FIELDS, *extra], filter_expression=where, num_results=k,
            dtype="float32",
            distance_threshold=distance_threshold,
        )  # fmt: skip
        docs = await self.index.query(query)
        return [make_hit(d, distance=float(d["vector_distance"])) for d in docs]

    async def knn_with_total(
        self, vector: np.ndarray[Any, Any], where: FilterExpression | None, k: int,
        full: bool = False, extra: Sequence[str] = (),
    ) -> tuple[list[Hit], int]:  # fmt: skip
        """The k nearest records and the number of records the filter matches, in one trip.

        `full`: the hits carry their whole records (when they are the page itself); `extra`:
        fields returned beside the ranking fields (replies.TURN_FIELDS)."""
        scope = str(where) if where is not None else "*"
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.execute_command(*self._knn_command(vector, where, k, full, extra))
            pipe.execute_command("FT.SEARCH", self.index.name, scope, "NOCONTENT",
                                 "LIMIT", 0, 0, "DIALECT", 2)  # fmt: skip
            knn_reply, count_reply = await pipe.execute()
        return knn_hits(knn_reply, full), search_docs(count_reply)[0]

    async def keyword(
        self, terms: Sequence[str], where: FilterExpression | None, k: int, full: bool = False,
        extra: Sequence[str] = (), vectors: bool = False,
    ) -> tuple[list[Hit], int]:  # fmt: skip
        """BM25 over the text field, any term matching; returns hits and the match count
        (`full`, `extra`: as `knn_with_total`; `vectors`: the top k + 1 with their stored
        vectors). The top k always comes with every hit tied with the k-th score
        (storage/keyword_page.py `keyword_hits`)."""
        if not terms:
            return [], 0
        fields = [*RANK_FIELDS, *extra, *(["vector"] if vectors and not full else [])]
        return await keyword_hits(self.redis, self.index.name, _keyword_query(terms, where), k,
                                  _returned(fields, full), MAX_TIE_FETCH)  # fmt: skip

    async def keyword_page(
        self, terms: Sequence[str], where: FilterExpression | None, offset: int, limit: int,
        touched_at: datetime | None,
    ) -> tuple[list[PageHit], int] | None:  # fmt: skip
        """A keyword page [offset, offset + limit) with its records (their access recorded
        when `touched_at`) and the match count in one round trip (storage/keyword_page.py);
        None where the layout cannot (`one_trip_pages`)."""
        if not self.one_trip_pages:
            return None
        if not terms:
            return [], 0
        query = _keyword_query(terms, where)
        return await self._pages.keyword(self.index.name, query, offset, limit, touched_at)

    async def semantic_page(
        self, vector: np.ndarray[Any, Any], where: FilterExpression | None, offset: int,
        limit: int, touched_at: datetime | None,
    ) -> tuple[list[PageHit], int] | None:  # fmt: skip
        """`keyword_page` for the nearest records (their distances for scores)."""
        if not self.one_trip_pages:
            return None
        query, blob = self._knn_query(vector, where, offset + limit)
        scope = str(where) if where is not None else "*"
        return await self._pages.semantic(
            self.index.name, query, blob, scope, offset, limit, touched_at
        )

    async def listing(
        self, where: FilterExpression | None, offset: int, limit: int
    ) -> tuple[list[MemoryRecord], int]:
        """Filter-only listing, newest first, with the true total.

        The index answers with ids; records are read from their hashes, since values read
        back from a sortable index field are rounded.
        """
        query = FilterQuery(
            where if where is not None else "*", return_fields=["memory_id"],
            sort_by=("created_at", "DESC"), num_results=limit,
        )  # fmt: skip
        query.paging(offset, limit)
        result = await self.index.search(query.query, query_params=query.params)
        records = await self.get_many([as_str(doc.memory_id) for doc in result.docs])
        return [r for r in records if r is not None], int(result.total)

    async def count(self, where: FilterExpression | None) -> int:
        total = await self.index.query(CountQuery(where if where is not None else "*"))
        return int(total)

    async def count_within(
        self, vector: np.ndarray[Any, Any], where: FilterExpression | None, threshold: float
    ) -> int:
        query = VectorRangeQuery(
            vector=np.asarray(vector, dtype=np.float32).tobytes(), vector_field_name="vector",
            return_fields=["memory_id"], filter_expression=where, distance_threshold=threshold,
            num_results=0, dtype="float32",
        )  # fmt: skip
        query.paging(0, 0)
        result = await self.index.search(query.query, query_params=query.params)
        return int(result.total)

    def _records_prefix(self) -> str:
        return self.keys.long_term_prefix

    async def scan_ids(self, batch: int = 1000) -> list[str]:
        """Every record id (for rebuild-index and migrations), read in pipelined batches."""
        return await scan_record_ids(self.redis, self._records_prefix(), batch)
