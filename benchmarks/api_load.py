"""API latency and throughput at concurrency 1, 8 and 32, beside each operation's physical floor.

Starts an embedded Redis and `agent-memory api` as a user would (EMBEDDED_WORKER=false: the
background pipeline runs in task workers in production, and would compete with the requests
timed here), ingests records over HTTP (benchmarks/ingest.py, with its own floors), then for
each operation of benchmarks/api_ops.py and each concurrency c alternates a round of c
concurrent HTTP requests (asyncio tasks sharing one lean keep-alive client, see
benchmarks/http_client.py; one reference row uses httpx) with a round of c concurrent
floor operations, so that both see the machine in the same state. Prints p50/p95/p99, the
throughput (requests / time spent in that side's rounds) and the ratio of the p95s, with the
1-minute load average at the end of each row.

    uv run python -m benchmarks.api_load [--records 3000] [--scale 1.0] [--concurrency 1,8,32]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from redis.asyncio import Redis

from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from benchmarks import ingest
from benchmarks.api_ops import Op, Ops
from benchmarks.harness import Server, running_server
from benchmarks.http_client import LeanClient
from benchmarks.search_overhead import pct

CONCURRENCY = (1, 8, 32)
# Idle connections are dropped before uvicorn's keep-alive timeout (5 s) closes them: with
# httpx's default expiry (also 5 s) a request could go out on a socket the server was closing.
CLIENT_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2)


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


@dataclass
class Row:
    op: str
    concurrency: int
    http: list[float]
    http_seconds: float
    floor: list[float]
    floor_seconds: float
    load: str

    @property
    def ratio(self) -> float:
        return pct(self.http, 95) / pct(self.floor, 95)

    def cells(self) -> str:
        def side(values: list[float], seconds: float) -> str:
            spread = " / ".join(
                f"{v:.2f}" for v in (statistics.median(values), pct(values, 95), pct(values, 99))
            )
            rate = len(values) / seconds
            return f"{spread} | {rate:.1f}" if rate < 10 else f"{spread} | {rate:.0f}"

        return (
            f"| {self.op} | {self.concurrency} | {side(self.http, self.http_seconds)} | "
            f"{side(self.floor, self.floor_seconds)} | {self.ratio:.2f}x | {self.load} |"
        )


async def _round(
    fn: Callable[[int], Awaitable[None]], first: int, c: int
) -> tuple[list[float], float]:
    async def one(i: int) -> float:
        began = time.perf_counter()
        await fn(i)
        return (time.perf_counter() - began) * 1000

    began = time.perf_counter()
    latencies = await asyncio.gather(*(one(first + k) for k in range(c)))
    return list(latencies), time.perf_counter() - began


class Counter:
    """Request numbers, unique over the run (sessions cycle, created texts never repeat)."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, n: int) -> int:
        first, self.next = self.next, self.next + n
        return first


async def side_by_side(op: Op, c: int, scale: float, numbers: Counter) -> Row:
    rounds = max(1, math.ceil(op.requests * scale / c))
    http: list[float] = []
    floor: list[float] = []
    seconds = [0.0, 0.0]
    for warm_up in [True] + [False] * rounds:  # an untimed round opens c connections each side
        first = numbers.take(c)
        for i in range(first, first + c):
            if op.prepare is not None:
                op.prepare(i)
        for side, (fn, sink) in enumerate(((op.http, http), (op.floor, floor))):
            latencies, elapsed = await _round(fn, first, c)
            if warm_up:
                continue
            sink.extend(latencies)
            seconds[side] += elapsed
    return Row(op.name, c, http, seconds[0], floor, seconds[1], loadavg())


async def _warm_up(op: Op, numbers: Counter) -> None:
    for _ in range(3):
        i = numbers.take(1)
        if op.prepare is not None:
            op.prepare(i)
        await op.http(i)
        await op.floor(i)


def render(rows: list[Row]) -> str:
    lines = [
        "| operation | c | HTTP p50 / p95 / p99 ms | HTTP req/s | floor p50 / p95 / p99 ms "
        "| floor req/s | p95 ratio | load |",
        "|---|---|---|---|---|---|---|---|",
        *(row.cells() for row in rows),
        "",
        "Targets:",
    ]
    searches = [r for r in rows if r.op.startswith("search")]
    met = [r for r in searches if r.ratio <= 2]
    first = [
        f"{r.op.removeprefix('search ')} {r.ratio:.2f}x" for r in searches if r.concurrency == 1
    ]
    if searches:
        lines.append(
            f"- search p95 <= 2x its floor: {len(met)} of {len(searches)} rows; at c=1: "
            + ", ".join(first)
        )
    for r in rows:
        if r.op.startswith("GET working memory") and r.concurrency == 1:  # lean client
            verdict = "met" if r.ratio <= 3 else "not met"
            lines.append(f"- {r.op} p95 <= 3x JSON.GET at c=1: {r.ratio:.2f}x, {verdict}")
    return "\n".join(lines)


async def measure(
    server: Server, records: int, namespaces: int, scale: float,
    concurrency: tuple[int, ...] = CONCURRENCY, only: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Ingest, then every operation at every concurrency; the two markdown tables."""
    limits = CLIENT_LIMITS
    redis = Redis.from_url(server.redis_url)
    embedder = MiniLMEmbedder()
    async with (
        LeanClient(server.url) as http,
        httpx.AsyncClient(base_url=server.url, timeout=300, limits=limits) as reference,
    ):
        ingested = await ingest.measure(
            http, redis, embedder, server.key_prefix, records, namespaces, loadavg()
        )
        print(ingested, "\n", flush=True)
        ops = Ops(http, redis, embedder, server.key_prefix, namespaces, reference)
        sessions = {size: await ops.setup_sessions("get", size) for size in (10, 100)}
        rows = []
        numbers = Counter()
        async for op in _operations(ops, sessions):
            if only is not None and only not in op.name:
                continue
            await _warm_up(op, numbers)
            for c in concurrency:
                rows.append(await side_by_side(op, c, scale, numbers))
                print(rows[-1].cells(), flush=True)
    await redis.aclose()
    return {"ingest": ingested, "load": render(rows)}


async def _operations(ops: Ops, sessions: dict[int, Any]) -> AsyncIterator[Op]:
    """In this order: searches before creates, so that every search sees the same records."""
    yield ops.health()
    for size in (10, 100):
        yield ops.get_working_memory(sessions[size], size)
    yield ops.get_working_memory(sessions[10], 10, with_httpx=True)
    for size in (10, 100):
        yield await ops.put_working_memory(size)
    yield await ops.append()
    for mode in ("semantic", "keyword", "hybrid"):
        for filtered in (False, True):
            yield ops.search(mode, filtered)
    yield ops.prompt(sessions[10])
    for batch in (1, 100):
        yield ops.create(batch)


def run(
    server: Server, records: int, namespaces: int = 10, scale: float = 1.0,
    concurrency: tuple[int, ...] = CONCURRENCY, only: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`measure` on a running server, printing the tables with the load average around them."""
    began = loadavg()
    result = asyncio.run(measure(server, records, namespaces, scale, concurrency, only))
    result["load"] = (
        f"{records:,} records in {namespaces} namespaces and 100 users; sessions of 10 and 100 "
        f"messages; requests per side and concurrency: about {scale:g} x the operation's count "
        f"(benchmarks/api_ops.py); load average at start {began}, at end {loadavg()}\n\n"
        + result["load"]
    )
    print("\n" + result["load"], flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--namespaces", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies request counts")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--only", default=None, help="operations whose name contains this")
    args = parser.parse_args()
    levels = tuple(int(c) for c in args.concurrency.split(","))
    with running_server(EMBEDDED_WORKER="false") as server:
        run(server, args.records, args.namespaces, args.scale, levels, args.only)


if __name__ == "__main__":
    main()
