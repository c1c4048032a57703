"""Summary-view store: views, partition results and tasks as RedisJSON documents.

Views and the partitions of each view are listed from Redis sets of ids (no index needed: a
view's partitions are read all together). A partition result is only written while its view
exists, so a run finishing after its view was deleted leaves nothing behind.

`group_counts` finds the partitions of a view in the long-term index with FT.AGGREGATE GROUPBY
(read through a cursor, so any number of groups works).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redisvl.query.filter import FilterExpression

from agent_memory_server.errors import BackendUnavailable
from agent_memory_server.storage.keys import Keys

# Write a partition only if its view still exists; remember it in the view's partition set.
_PUT_PARTITION = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('JSON.SET', KEYS[2], '$', ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
"""

# Merge fields into an existing task document (a null removes the field); optional TTL.
_UPDATE_TASK = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('JSON.MERGE', KEYS[1], '$', ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1
"""

AGGREGATE_BATCH = 5000
AGGREGATE_TIMEOUT_MS = 30_000
_COUNT = "__count"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _docs(raw: Sequence[Any]) -> list[dict[str, Any]]:
    """Documents of a JSON.MGET on '$' (each a one-element list), missing ones left out."""
    return [row[0] for row in raw if isinstance(row, list) and row and isinstance(row[0], dict)]


class SummaryViewStore:
    """Views, their partition results and run tasks of one deployment (one key prefix)."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._put_partition = redis.register_script(_PUT_PARTITION)
        self._update_task = redis.register_script(_UPDATE_TASK)

    # --- views -----------------------------------------------------------------------------

    async def put_view(self, view_id: str, doc: dict[str, Any]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.json().set(self.keys.summary_view(view_id), "$", doc)
            pipe.sadd(self.keys.summary_views, view_id)
            await pipe.execute()

    async def get_view(self, view_id: str) -> dict[str, Any] | None:
        doc = await self.redis.json().get(self.keys.summary_view(view_id))
        return doc if isinstance(doc, dict) else None

    async def list_views(self) -> list[dict[str, Any]]:
        ids = sorted(_text(i) for i in await self.redis.smembers(self.keys.summary_views))
        if not ids:
            return []
        raw = await self.redis.json().mget([self.keys.summary_view(i) for i in ids], "$")
        return _docs(raw)

    async def delete_view(self, view_id: str) -> bool:
        """Delete a view and every partition result stored for it; False if it did not exist."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.summary_view(view_id))
            pipe.srem(self.keys.summary_views, view_id)
            existed, _ = await pipe.execute()
        # Partitions can no longer be written (the view is gone): remove those already stored.
        digests = await self.partition_digests(view_id)
        await self.drop_partitions(view_id, digests)
        await self.redis.delete(self.keys.summary_partitions(view_id))
        return bool(existed)

    # --- partition results -----------------------------------------------------------------

    async def put_partition(self, view_id: str, digest: str, doc: dict[str, Any]) -> bool:
        """Store a partition result; False (nothing written) when the view was deleted."""
        keys = [
            self.keys.summary_view(view_id),
            self.keys.summary_partition(view_id, digest),
            self.keys.summary_partitions(view_id),
        ]
        return bool(await self._put_partition(keys=keys, args=[json.dumps(doc), digest]))

    async def get_partition(self, view_id: str, digest: str) -> dict[str, Any] | None:
        doc = await self.redis.json().get(self.keys.summary_partition(view_id, digest))
        return doc if isinstance(doc, dict) else None

    async def partition_digests(self, view_id: str) -> set[str]:
        members = await self.redis.smembers(self.keys.summary_partitions(view_id))
        return {_text(m) for m in members}

    async def list_partitions(self, view_id: str, batch: int = 1000) -> list[dict[str, Any]]:
        digests = sorted(await self.partition_digests(view_id))
        docs: list[dict[str, Any]] = []
        for start in range(0, len(digests), batch):
            chunk = digests[start : start + batch]
            keys = [self.keys.summary_partition(view_id, d) for d in chunk]
            docs.extend(_docs(await self.redis.json().mget(keys, "$")))
        return docs

    async def drop_partitions(self, view_id: str, digests: Sequence[str] | set[str]) -> int:
        """Remove these partition results of a view; returns how many existed."""
        dropped = 0
        ordered = sorted(digests)
        for start in range(0, len(ordered), 1000):
            chunk = ordered[start : start + 1000]
            async with self.redis.pipeline(transaction=False) as pipe:
                for digest in chunk:
                    pipe.delete(self.keys.summary_partition(view_id, digest))
                pipe.srem(self.keys.summary_partitions(view_id), *chunk)
                results = await pipe.execute()
            dropped += sum(int(r) for r in results[:-1])
        return dropped

    # --- tasks -----------------------------------------------------------------------------

    async def put_task(self, task_id: str, doc: dict[str, Any]) -> None:
        await self.redis.json().set(self.keys.summary_task(task_id), "$", doc)

    async def get_task(self, task_id: str) -> dict[str, Any] | None:
        doc = await self.redis.json().get(self.keys.summary_task(task_id))
        return doc if isinstance(doc, dict) else None

    async def update_task(
        self, task_id: str, fields: dict[str, Any], ttl_seconds: int | None = None
    ) -> bool:
        """Set fields of a task (None removes one); False when the task does not exist."""
        done = await self._update_task(
            keys=[self.keys.summary_task(task_id)],
            args=[json.dumps(fields), ttl_seconds or 0],
        )
        return bool(done)


def _rows(raw: Any) -> tuple[list[dict[str, str | None]], int]:
    """Rows and the cursor id of an FT.AGGREGATE WITHCURSOR / FT.CURSOR READ reply.

    The reply is [results, cursor id]; results are a map (RESP3) or a flat list (RESP2).
    """
    reply, cursor = raw
    rows: list[dict[str, str | None]] = []
    if isinstance(reply, dict):  # RESP3
        warnings = reply.get(b"warning") or reply.get("warning") or []
        if warnings:
            raise BackendUnavailable(
                f"grouping long-term memory stopped early: {', '.join(map(_text, warnings))}"
            )
        results = reply.get(b"results") or reply.get("results") or []
        for result in results:
            attributes = result.get(b"extra_attributes") or result.get("extra_attributes") or {}
            rows.append({_text(k): None if v is None else _text(v) for k, v in attributes.items()})
    else:  # RESP2: [total, [k, v, k, v, ...], ...]
        for row in reply[1:]:
            rows.append(
                {
                    _text(k): None if v is None else _text(v)
                    for k, v in zip(row[::2], row[1::2], strict=True)
                }
            )
    return rows, int(cursor)


async def group_counts(
    redis: Redis, index_name: str, fields: Sequence[str], where: FilterExpression | None
) -> list[tuple[dict[str, str | None], int]]:
    """Distinct combinations of `fields` among the records matching `where`, with counts.

    Values keep their stored case; a record without a value for a field yields None there.
    """
    command: list[Any] = [
        "FT.AGGREGATE", index_name, str(where) if where is not None else "*",
        "GROUPBY", len(fields), *(f"@{f}" for f in fields),
        "REDUCE", "COUNT", 0, "AS", _COUNT,
        "WITHCURSOR", "COUNT", AGGREGATE_BATCH, "TIMEOUT", AGGREGATE_TIMEOUT_MS, "DIALECT", 2,
    ]  # fmt: skip
    # The raw reply, read by _rows whichever protocol (RESP2 or RESP3) the connection speaks.
    run = redis.execute_command
    rows, cursor = _rows(await run(*command))  # type: ignore[no-untyped-call]
    while cursor:
        read = ("FT.CURSOR", "READ", index_name, cursor)
        more, cursor = _rows(await run(*read))  # type: ignore[no-untyped-call]
        rows.extend(more)
    counts: list[tuple[dict[str, str | None], int]] = []
    for row in rows:
        count = int(row.pop(_COUNT) or 0)
        counts.append(({f: row.get(f) for f in fields}, count))
    return counts
