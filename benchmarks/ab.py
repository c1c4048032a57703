"""What a change saves: the server at a git revision (A) against the working tree (B), side by side.

Exports REV with `git archive`, starts `agent-memory api` from it and from this tree on one
embedded Redis (different key prefixes, EMBEDDED_WORKER=false), sets up the same data in both,
then sends each operation of benchmarks/api_ops.py to A and B alternately, request by request
(swapping who goes first), and prints p50/p95/mean latency of each and the server's CPU time
per request (user + system of the server process, from /proc: steadier than latency on a busy
machine). An A/A run (REV = HEAD with a clean tree) shows the noise.

    uv run python -m benchmarks.ab REV [get10 get100 put10 put100 append semantic keyword
        hybrid prompt create1 create100 health] [--requests 400] [--records 1000] [--b REV2]
        [--concurrency C]

With --b, server B runs that revision instead of the working tree. With --concurrency C, each
turn sends C requests at once (rounds of C alternate between A and B), each timed on its own;
--requests counts requests, so there are requests / C rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path

import httpx
from redis.asyncio import Redis

from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from benchmarks import ingest
from benchmarks.api_load import CLIENT_LIMITS, loadavg
from benchmarks.api_ops import Op, Ops
from benchmarks.harness import Server, running_server
from benchmarks.http_client import LeanClient
from benchmarks.search_overhead import pct

ROOT = Path(__file__).resolve().parents[1]
NEEDS_RECORDS = {"semantic", "keyword", "hybrid", "prompt"}


def cpu_seconds(pid: int) -> float:
    """User + system time of a process (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _operation(ops: Ops, name: str, sessions: dict[int, list[tuple[str, str, str]]]) -> Op:
    built: dict[str, Callable[[], Op | Awaitable[Op]]] = {
        "health": ops.health,
        "get10": lambda: ops.get_working_memory(sessions[10], 10),
        "get100": lambda: ops.get_working_memory(sessions[100], 100),
        "put10": lambda: ops.put_working_memory(10),
        "put100": lambda: ops.put_working_memory(100),
        "append": ops.append,
        "semantic": lambda: ops.search("semantic", True),
        "keyword": lambda: ops.search("keyword", True),
        "hybrid": lambda: ops.search("hybrid", True),
        "prompt": lambda: ops.prompt(sessions[10]),
        "create1": lambda: ops.create(1),
        "create100": lambda: ops.create(100),
    }
    op = built[name]()
    return op if isinstance(op, Op) else await op


async def _one(op: Op, i: int) -> float:
    if op.prepare is not None:
        op.prepare(i)
    began = time.perf_counter()
    await op.http(i)
    return (time.perf_counter() - began) * 1000


async def settle(servers: list[Server], idle: float = 0.05, longest: float = 120) -> None:
    """Wait until no server uses more than `idle` of a core: each builds its model caches (the
    ONNX graph, the int8 query copy) in the background after start-up, for seconds, and an
    operation timed meanwhile charges that build to whichever server is still at it."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = [cpu_seconds(s.pid) for s in servers]
        await asyncio.sleep(1.0)
        if all(cpu_seconds(s.pid) - b < idle for s, b in zip(servers, before, strict=True)):
            return


async def _round(op: Op, start: int, c: int, out: list[float]) -> None:
    out.extend(await asyncio.gather(*(_one(op, start + k) for k in range(c))))


async def measure(
    servers: list[Server], names: list[str], requests: int, records: int, c: int = 1
) -> None:
    redis = Redis.from_url(servers[0].redis_url)
    embedder = MiniLMEmbedder()
    clients = [LeanClient(s.url) for s in servers]
    reference = httpx.AsyncClient(timeout=300, limits=CLIENT_LIMITS)  # unused by these ops
    sides = [
        Ops(c, redis, embedder, s.key_prefix, 10, reference)
        for c, s in zip(clients, servers, strict=True)
    ]
    if NEEDS_RECORDS & set(names):
        for ops, server in zip(sides, servers, strict=True):
            await ingest.measure(ops.http, redis, embedder, server.key_prefix, records, 10, "")
    sessions = [{n: await ops.setup_sessions("get", n) for n in (10, 100)} for ops in sides]
    for name in names:
        pair = [await _operation(o, name, s) for o, s in zip(sides, sessions, strict=True)]
        n = max(6, requests // 40) if name == "create100" else requests
        rounds = max(1, n // c)
        for i in range(5):  # warm-up
            for op in pair:
                await _round(op, 1_000_000 + i * c, c, [])
        await settle(servers)  # what the warm-up started (a model's first load) ends first
        latencies: list[list[float]] = [[], []]
        began = [cpu_seconds(s.pid) for s in servers]
        for i in range(rounds):
            for side in (0, 1) if i % 2 == 0 else (1, 0):
                await _round(pair[side], 2_000_000 + i * c, c, latencies[side])
        n = rounds * c
        cpu = [(cpu_seconds(s.pid) - b) * 1000 / n for s, b in zip(servers, began, strict=True)]
        cells = [
            f"p50 {statistics.median(v):.2f} p95 {pct(v, 95):.2f} mean {statistics.mean(v):.2f} "
            f"cpu {c:.2f} ms"
            for v, c in zip(latencies, cpu, strict=True)
        ]
        delta = statistics.median(latencies[1]) - statistics.median(latencies[0])
        print(
            f"{name:9} c={c} n={n} load {loadavg()} | A {cells[0]} | B {cells[1]} | B-A p50 "
            f"{delta:+.2f} cpu {cpu[1] - cpu[0]:+.2f} ms",
            flush=True,
        )
    for client in clients:
        await client.__aexit__()
    await reference.aclose()
    await redis.aclose()


def _export(rev: str, stack: ExitStack) -> Path:
    """The source tree of a git revision, in a directory removed on exit."""
    tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="ams-ab-"))
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
    return Path(tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("rev", help="git revision of server A (B is the working tree)")
    parser.add_argument("ops", nargs="*", default=["get10", "put10", "append", "keyword"])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--b", default=None, help="git revision of server B")
    parser.add_argument("--concurrency", type=int, default=1, help="requests sent at once")
    args = parser.parse_intermixed_args()
    with ExitStack() as stack:
        code_a = _export(args.rev, stack)
        code_b = None if args.b is None else _export(args.b, stack)
        env = {"EMBEDDED_WORKER": "false"}
        a = stack.enter_context(running_server(code_a, KEY_PREFIX="abA", **env))
        b = stack.enter_context(
            running_server(code_b, KEY_PREFIX="abB", REDIS_URL=a.redis_url, **env)
        )
        print(f"A = {args.rev}, B = {args.b or 'working tree'}; load average {loadavg()}")
        asyncio.run(measure([a, b], args.ops, args.requests, args.records, args.concurrency))


if __name__ == "__main__":
    main()
