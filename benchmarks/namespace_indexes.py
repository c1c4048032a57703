"""What an index per namespace costs (the cluster layout, storage/sharded.py), on one node.

Starts a fresh Redis node of the local cluster fixture's kind (3 primaries, no replica), and
for N namespaces (default 1, 100 and 10,000) creates the real long-term schema once per
namespace through ShardedLongTermStore, writes R records per namespace (random unit 384-d
vectors, written through the store: no embedding), then reports, per primary and in total:
used_memory before the indexes and after, the memory per empty index, the time to create an
index, and KNN-10 latency within one namespace and across all (fan-out) namespaces.

    uv run python -m benchmarks.namespace_indexes [--namespaces 1 100 10000] [--records 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import redis as sync_redis
from redisvl.query.filter import Tag

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.storage.connection import connect, keys_for
from agent_memory_server.storage.keys import namespace_marker
from agent_memory_server.storage.schema import VectorIndexParams
from agent_memory_server.storage.sharded import ShardedLongTermStore
from tests.support.cluster import LocalCluster

DIM = 384


def _used(cluster: LocalCluster) -> list[int]:
    out = []
    for node in cluster.nodes:
        with sync_redis.Redis(port=node.port) as client:
            out.append(int(client.info("memory")["used_memory"]))
    return out


def _vector(rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


async def measure(cluster: LocalCluster, namespaces: int, records: int) -> dict[str, float]:
    redis = connect(cluster.url)
    prefix = f"b{namespaces}"
    store = ShardedLongTermStore(redis, keys_for(prefix, redis), VectorIndexParams(DIM))
    rng = np.random.default_rng(7)
    names = [f"tenant{i:05d}" for i in range(namespaces)]
    before = _used(cluster)
    start = time.perf_counter()
    for name in names:
        await store.ensure_index(namespace_marker(name))
    create_seconds = time.perf_counter() - start
    empty = _used(cluster)
    now = datetime.now(UTC)
    rows = [
        (MemoryRecord(id=f"{name}-{r}", text=f"note {r} of {name}", namespace=name,
                      created_at=now, updated_at=now, last_accessed=now), _vector(rng))
        for name in names for r in range(records)
    ]  # fmt: skip
    start = time.perf_counter()
    for i in range(0, len(rows), 500):
        await store.upsert(rows[i : i + 500])
    load_seconds = time.perf_counter() - start
    loaded = _used(cluster)

    async def timed(where: object, n: int) -> list[float]:
        out = []
        for _ in range(n):
            t = time.perf_counter()
            await store.knn_with_total(_vector(rng), where, 10)  # type: ignore[arg-type]
            out.append((time.perf_counter() - t) * 1000)
        return out

    within = await timed(Tag("namespace") == names[0], 100)
    across = await timed(None, 3 if namespaces > 1000 else 100)
    await redis.aclose()
    return {
        "namespaces": namespaces,
        "create_ms_per_index": create_seconds * 1000 / namespaces,
        "empty_index_kib": (sum(empty) - sum(before)) / namespaces / 1024,
        "loaded_mib": (sum(loaded) - sum(before)) / 2**20,
        "load_records_per_s": len(rows) / load_seconds if rows else 0.0,
        "within_p50_ms": statistics.median(within),
        "across_p50_ms": statistics.median(across),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--namespaces", type=int, nargs="+", default=[1, 100, 10_000])
    parser.add_argument(
        "--records", type=int, default=2, help="per namespace; 0: empty indexes only"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cluster = LocalCluster(Path(tmp), primaries=3, replicas=0).start()
        try:
            for n in args.namespaces:
                row = asyncio.run(measure(cluster, n, args.records))
                print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in row.items()), flush=True)  # fmt: skip
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
