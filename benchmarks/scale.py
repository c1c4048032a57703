"""Scale run: N synthetic 384-d memories (default 1,000,000, 10,000 users) in one Redis.

Loads records shaped as the server stores them (storage/long_term.py `to_hash`, the real index
schema with the server's HNSW parameters) straight into Redis with pipelined HSETs, then
reports: load rate and time until indexed, memory per record (INFO used_memory), KNN search
latency with a user filter and without, and recall@10 of the HNSW index against an exact
search on a sample, for several EF_RUNTIME values.

Vectors are unit-length points in 2,000 topics of 20 subtopics each (clustered like real
embeddings; uniform random vectors would make HNSW look worse than it is on text), texts 8-40
words. Queries are stored vectors moved by noise.

    uv run python -m benchmarks.scale [--records 1000000] [--users 10000] [--m 16]
        [--ef-construction 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import redis

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.storage.embedded import EmbeddedRedis
from agent_memory_server.storage.keys import Keys
from agent_memory_server.storage.long_term import LongTermStore
from agent_memory_server.storage.record_hash import to_hash
from agent_memory_server.storage.schema import VectorIndexParams
from benchmarks.search_overhead import WORDS, pct

DIM = 384
BATCH = 1000


def vectors(
    n: int, rng: np.random.Generator, topics: int = 2000, subtopics: int = 20
) -> np.ndarray:
    """Unit vectors in topics > subtopics > points, like embeddings of texts on shared themes."""
    centres = rng.standard_normal((topics, DIM)).astype(np.float32)
    subs = np.repeat(centres, subtopics, axis=0)
    subs += 0.6 * rng.standard_normal(subs.shape).astype(np.float32)
    out = subs[rng.integers(0, len(subs), n)]
    out += 0.35 * rng.standard_normal((n, DIM)).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def create_index(url: str, params: VectorIndexParams, keys: Keys) -> None:
    async def create() -> None:
        client = redis.asyncio.Redis.from_url(url)
        await LongTermStore(client, keys, params).create_index()
        await client.aclose()

    asyncio.run(create())


def load(client: redis.Redis, keys: Keys, vecs: np.ndarray, users: int, seed: int) -> float:
    rnd = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    began = time.perf_counter()
    for first in range(0, len(vecs), BATCH):
        pipe = client.pipeline(transaction=False)
        for i in range(first, min(first + BATCH, len(vecs))):
            text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 40))).capitalize()
            when = start + timedelta(minutes=i)
            record = MemoryRecord(
                id=f"r{i}", text=text + ".", user_id=f"u{i % users}", namespace="scale",
                topics=[rnd.choice(WORDS)], entities=[], created_at=when, updated_at=when,
                last_accessed=when,
            )  # fmt: skip
            pipe.hset(keys.long_term(record.id), mapping=to_hash(record, vecs[i]))
        pipe.execute()
        if (first // BATCH) % 100 == 0:
            print(f"  loaded {first + BATCH:,}", flush=True)
    return time.perf_counter() - began


def wait_indexed(client: redis.Redis, index: str) -> float:
    began = time.perf_counter()
    while True:
        info = client.ft(index).info()
        if str(info.get("indexing", "0")) in ("0", "0.0") and float(info["percent_indexed"]) >= 1:
            return time.perf_counter() - began
        time.sleep(1)


def knn(client: redis.Redis, index: str, vec: np.ndarray, where: str, ef: int) -> list[str]:
    reply = client.execute_command(
        "FT.SEARCH", index, f"{where}=>[KNN 10 @vector $v EF_RUNTIME {ef} AS d]",
        "PARAMS", "2", "v", vec.astype(np.float32).tobytes(), "RETURN", "1", "memory_id",
        "SORTBY", "d", "LIMIT", "0", "10", "DIALECT", "2",
    )  # fmt: skip
    if isinstance(reply, dict):
        return [r[b"extra_attributes"][b"memory_id"].decode() for r in reply[b"results"]]
    return [reply[i + 1][1].decode() for i in range(1, len(reply), 2)]


def timed(fn: object, *args: object) -> tuple[float, object]:
    began = time.perf_counter()
    result = fn(*args)  # type: ignore[operator]
    return (time.perf_counter() - began) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    vecs = vectors(args.records, rng)
    keys = Keys("scale")
    params = VectorIndexParams(DIM, args.m, args.ef_construction, 64)
    with tempfile.TemporaryDirectory(prefix="ams-scale-") as tmp:
        server = EmbeddedRedis(Path(tmp), appendfsync="no")
        url = server.start()
        try:
            client = redis.Redis.from_url(url)
            before = int(client.info("memory")["used_memory"])
            create_index(url, params, keys)
            load_s = load(client, keys, vecs, args.users, 7)
            index_wait = wait_indexed(client, keys.long_term_index)
            used = int(client.info("memory")["used_memory"]) - before
            print(
                f"\n{args.records:,} records, {args.users:,} users, HNSW M={args.m} "
                f"EF_CONSTRUCTION={args.ef_construction}"
            )
            print(
                f"load: {load_s:.0f} s ({args.records / load_s:,.0f} records/s), "
                f"then {index_wait:.0f} s until fully indexed"
            )
            print(f"memory: {used / 2**30:.2f} GiB, {used / args.records:,.0f} bytes per record")
            picks = rng.choice(args.records, args.queries, replace=False)
            # Noise of norm about 0.3 on a unit vector: a paraphrase-like query (cosine ~0.95).
            noise = rng.standard_normal((args.queries, DIM)).astype(np.float32)
            queries = vecs[picks] + 0.3 * noise / np.sqrt(DIM)
            queries /= np.linalg.norm(queries, axis=1, keepdims=True)
            exact = [set(f"r{j}" for j in np.argsort(-(vecs @ q))[:10]) for q in queries]
            idx = keys.long_term_index
            print("\n| query | EF_RUNTIME | p50 | p95 | recall@10 |\n|---|---|---|---|---|")
            for ef in (10, 32, 64, 128, 256):
                times, recalls = [], []
                for q, truth in zip(queries, exact, strict=True):
                    ms, got = timed(knn, client, idx, q, "*", ef)
                    times.append(ms)
                    recalls.append(len(truth & set(got)) / 10)  # type: ignore[arg-type]
                print(
                    f"| KNN 10, no filter | {ef} | {statistics.median(times):.2f} ms | "
                    f"{pct(times, 95):.2f} ms | {statistics.mean(recalls):.3f} |"
                )
            times, recalls = [], []
            for n, q in enumerate(queries):
                user = n * 37 % args.users
                members = np.arange(user, args.records, args.users)  # r{i} has user i % users
                truth = {f"r{j}" for j in members[np.argsort(-(vecs[members] @ q))[:10]]}
                ms, got = timed(knn, client, idx, q, f"(@user_id:{{u{user}}})", 64)
                times.append(ms)
                recalls.append(len(truth & set(got)) / 10)  # type: ignore[arg-type]
            print(
                f"| KNN 10, user filter ({args.records // args.users} records each) | 64 | "
                f"{statistics.median(times):.2f} ms | {pct(times, 95):.2f} ms | "
                f"{statistics.mean(recalls):.3f} |"
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
