"""Ingest throughput end to end, beside its two floors, measured batch by batch in one run.

For each batch of 100 records, in turn:
1. HTTP: `POST /v1/long-term-memory/` of the batch to the running server, then wait until the
   index counts the records (searchable);
2. embedder: `MiniLMEmbedder.embed_sync` of the same texts in this process (same model, same
   thread count as the server);
3. raw Redis: one pipelined HSET per record of the hashes the server writes (`to_hash`, with
   the vectors of step 2) into an identical empty index of another prefix, then wait until
   that index counts them.

Prints records/s of each and ingest / min(embedder, raw Redis). The records stay in the
server's index: benchmarks/api_load.py searches them.
"""

from __future__ import annotations

import asyncio
import random
import time

from redis.asyncio import Redis

from agent_memory_server.config import Settings
from agent_memory_server.models.common import utcnow
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from agent_memory_server.services.long_term import content_hash
from agent_memory_server.storage.keys import Keys
from agent_memory_server.storage.long_term import LongTermStore
from agent_memory_server.storage.record_hash import to_hash
from agent_memory_server.storage.schema import VectorIndexParams
from benchmarks.api_ops import owner
from benchmarks.http_client import LeanClient
from benchmarks.search_overhead import sentence

BATCH = 100
RAW_PREFIX = "benchraw"


async def indexed(redis: Redis, index: str) -> int:
    reply = await redis.execute_command("FT.SEARCH", index, "*", "NOCONTENT", "LIMIT", "0", "0")
    return int(reply[b"total_results"] if isinstance(reply, dict) else reply[0])


async def until_indexed(redis: Redis, index: str, expected: int) -> None:
    while await indexed(redis, index) < expected:  # noqa: ASYNC110 - polling Redis, not a flag
        await asyncio.sleep(0.001)


def _records(n: int, namespaces: int) -> list[MemoryRecord]:
    rng = random.Random(5)
    out = []
    for i in range(n):
        namespace, user = owner(i, namespaces)
        out.append(MemoryRecord(id=f"r{i}", text=sentence(rng), namespace=namespace, user_id=user))
    return out


async def measure(
    http: LeanClient, redis: Redis, embedder: MiniLMEmbedder, prefix: str, records: int,
    namespaces: int, load: str,
) -> str:  # fmt: skip
    """Ingest `records` over HTTP beside the embedder and raw Redis; a markdown table."""
    defaults = Settings.model_fields
    params = VectorIndexParams(
        embedder.dimension, defaults["hnsw_m"].default, defaults["hnsw_ef_construction"].default,
        defaults["hnsw_ef_runtime"].default,
    )  # fmt: skip
    raw_keys = Keys(RAW_PREFIX)
    await LongTermStore(redis, raw_keys, params).create_index()
    index = Keys(prefix).long_term_index
    start_http = await indexed(redis, index)
    rows = _records(records, namespaces)
    spent = {"http": 0.0, "embedder": 0.0, "raw": 0.0}
    for first in range(0, records, BATCH):
        batch = rows[first : first + BATCH]
        fields = {"id", "text", "namespace", "user_id"}
        body = {"memories": [r.model_dump(mode="json", include=fields) for r in batch]}
        began = time.perf_counter()
        (await http.post("/v1/long-term-memory/", json=body)).raise_for_status()
        await until_indexed(redis, index, start_http + first + len(batch))
        spent["http"] += time.perf_counter() - began

        texts = [r.text for r in batch]
        began = time.perf_counter()
        vectors = embedder.embed_sync(texts)
        spent["embedder"] += time.perf_counter() - began

        now = utcnow()
        stored = [  # as the server stores them (hash, timestamps), prepared before the clock
            r.model_copy(update={"memory_hash": content_hash(r.text), "persisted_at": now})
            for r in batch
        ]
        began = time.perf_counter()
        async with redis.pipeline(transaction=False) as pipe:
            for record, vector in zip(stored, vectors, strict=True):
                pipe.hset(raw_keys.long_term(record.id), mapping=to_hash(record, vector))  # type: ignore[arg-type]
            await pipe.execute()
        await until_indexed(redis, raw_keys.long_term_index, first + len(batch))
        spent["raw"] += time.perf_counter() - began
    await redis.execute_command("FT.DROPINDEX", raw_keys.long_term_index, "DD")
    rate = {name: records / seconds for name, seconds in spent.items()}
    ratio = rate["http"] / min(rate["embedder"], rate["raw"])
    lines = [
        f"{records:,} records (8-20 words) in batches of {BATCH}, the three paths alternating "
        f"batch by batch; load average {load}",
        "",
        "| path | seconds | records/s |",
        "|---|---|---|",
        f"| ingest over HTTP, until searchable | {spent['http']:.1f} | {rate['http']:.0f} |",
        f"| embedder alone (embed_sync, in process) | {spent['embedder']:.1f} | "
        f"{rate['embedder']:.0f} |",
        f"| raw Redis (pipelined HSET + vectors, until indexed) | {spent['raw']:.1f} | "
        f"{rate['raw']:.0f} |",
        "",
        f"ingest / min(embedder, raw Redis) = {100 * ratio:.0f}% (target >= 80%: "
        f"{'met' if ratio >= 0.8 else 'not met'})",
    ]
    return "\n".join(lines)
