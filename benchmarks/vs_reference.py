"""`make bench-reference`: ours beside the server it replaces, side by side, as users run both.

- The reference: agent-memory-server 0.15.2 from ../shared/bench/reference/reference.sh (same
  Redis 8.2 + RediSearch build; its LLM and embeddings come from a local stub that answers at
  once, so ITS EMBEDDINGS ARE FREE and ours are computed: keep that in mind on write paths).
- Ours: `agent-memory api` with default settings (embedded Redis, embedded worker, local
  models) on a fresh data directory.
- Each side is seeded alike (64 sessions of 10 and of 100 messages, 400 memories); then, per
  operation and concurrency c (1, 8, 32), rounds of c concurrent requests alternate between the
  sides (the side that goes first alternates too), so that both see the same machine load. Lean
  keep-alive HTTP/1.1 client (benchmarks/http_client.py). Ratio = reference p95 / ours p95
  (above 1: we are faster). An untimed round per side opens the c connections first. Before each
  operation our embedded worker is let go idle (no task run for 3 s), so that the background
  work queued by the seeding and by the previous operation's writes does not land in its first
  rows.
- The backlog table: ours alone, the same requests at c=1 with the worker idle, then right
  after 2,000 messages were written (100 sessions of 20), while the worker drains them.

    uv run python -m benchmarks.vs_reference --reference-url http://127.0.0.1:PORT
        [--requests 200] [--concurrency 1 8 32] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks.http_client import LeanClient
from benchmarks.search_overhead import pct
from benchmarks.vs_reference_ops import Case, Request, Workload, messages, ok, owner

Timings = dict[str, list[float]]


def _wait_http(url: str, process: subprocess.Popen[bytes] | None, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/v1/health", timeout=2):
                return
        except OSError:
            if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not start") from None
            time.sleep(0.1)


@contextmanager
def ours_running(port: int) -> Iterator[str]:
    """`agent-memory api` as a user starts it: defaults, on a fresh data directory."""
    with tempfile.TemporaryDirectory(prefix="ams-vs-ref-") as tmp:
        env = {**os.environ, "DATA_DIR": tmp, "LOG_LEVEL": "WARNING"}
        process = subprocess.Popen(
            [sys.executable, "-m", "agent_memory_server", "api", "--port", str(port)], env=env
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_http(url, process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=60)


async def _round(
    client: LeanClient, request: Request, start: int, c: int, out: list[float]
) -> None:
    async def one(i: int) -> None:
        begin = time.perf_counter()
        await request(client, i)
        out.append((time.perf_counter() - begin) * 1000)

    await asyncio.gather(*(one(start + k) for k in range(c)))


async def measure(
    case: Case, c: int, ours: LeanClient, ref: LeanClient, counters: dict[str, int]
) -> tuple[list[float], list[float]]:
    mine: list[float] = []
    theirs: list[float] = []
    # An untimed round per side first: the client's connections close after 2 s idle, so the
    # first round at c would time c connection set-ups (on both sides; at c=8 and 200
    # requests, 4 % of the samples: the p95 itself).
    for client, request in ((ours, case.ours), (ref, case.reference)):
        await _round(client, request, 1_000_000 + 1_000 * c, c, [])
    rounds = max(1, case.requests // c)
    for r in range(rounds):
        sides = [("o", ours, case.ours, mine), ("r", ref, case.reference, theirs)]
        for tag, client, request, out in sides if r % 2 == 0 else sides[::-1]:
            key = f"{case.name}/{tag}"
            await _round(client, request, counters.get(key, 0), c, out)
            counters[key] = counters.get(key, 0) + c
    return mine, theirs


def _fmt(values: list[float]) -> str:
    return f"{pct(values, 50):.1f} / {pct(values, 95):.1f} / {pct(values, 99):.1f}"


async def task_runs(url: str, client: LeanClient) -> float:
    """The embedded worker's task runs so far (Prometheus counter at /metrics)."""
    text = (await client.get("/metrics")).content.decode()
    return sum(float(v) for v in re.findall(r"^\w*task_runs_total\{[^}]*\} (\S+)$", text, re.M))


async def wait_idle(url: str, client: LeanClient, quiet: float = 3.0, limit: float = 900) -> float:
    """Wait until the worker has run no task for `quiet` seconds; the seconds waited."""
    begin = time.monotonic()
    last, since = await task_runs(url, client), time.monotonic()
    while time.monotonic() - begin < limit:
        await asyncio.sleep(0.5)
        now = await task_runs(url, client)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return time.monotonic() - begin


BACKLOG_SESSIONS = 100  # of 20 messages: 2,000 for the worker to promote, embed and enrich


def backlog_cases(work: Workload) -> list[Case]:
    return [
        work.get(10), work.put(10), work.search("semantic", True),
        work.search("keyword", True), work.prompt(), work.create(1, "b"),
    ]  # fmt: skip


async def measure_backlog(
    work: Workload, ours: LeanClient, url: str, requests: int, tag: str = "backlog"
) -> tuple[Timings, Timings, float, float]:
    """Each case at c=1 with the worker idle, then right after 2,000 messages were written:
    (idle, busy, seconds the writes took, task runs while busy was timed).

    A first pass of 20 requests per case is not timed: a fresh server's first requests of a
    kind pay one-off costs (imports, caches) that would otherwise land in the idle column."""
    cases = backlog_cases(work)
    for i in range(20):
        for case in cases:
            await _round(ours, case.ours, 5_000 + i, 1, [])
    await wait_idle(url, ours)
    idle: Timings = {case.name: [] for case in cases}
    for i in range(requests):  # the cases in turn: each sees the same stretch of the backlog
        for case in cases:
            await _round(ours, case.ours, 10_000 + i, 1, idle[case.name])
    rng = random.Random(99)
    before = await task_runs(url, ours)
    written = time.perf_counter()
    for k in range(BACKLOG_SESSIONS):
        namespace, user = owner(k)
        body = {"messages": messages(rng, 20, f"{tag}{k}"), "namespace": namespace,
                "user_id": user}  # fmt: skip
        params = {"namespace": namespace, "user_id": user}
        await ok(ours.put(f"/v1/working-memory/{tag}-{k}", json=body, params=params))
    written = time.perf_counter() - written
    busy: Timings = {case.name: [] for case in cases}
    for i in range(requests):
        for case in cases:
            await _round(ours, case.ours, 20_000 + i, 1, busy[case.name])
    return idle, busy, written, await task_runs(url, ours) - before


def print_backlog(idle: Timings, busy: Timings) -> None:
    print("| operation | idle p50 / p95 / p99 ms | busy p50 / p95 / p99 ms | busy p95 / idle p95 |")
    print("|---|---|---|---|")
    for name in idle:
        ratio = pct(busy[name], 95) / pct(idle[name], 95)
        print(f"| {name} | {_fmt(idle[name])} | {_fmt(busy[name])} | {ratio:.2f} |")


async def backlog_table(work: Workload, ours: LeanClient, url: str, requests: int) -> None:
    idle, busy, written, ran = await measure_backlog(work, ours, url, requests)
    print(f"\n### Backlog: ours at c=1, worker idle vs draining 2,000 messages ({requests} each)")
    print(f"(writing them took {written:.1f} s; {ran:.0f} task runs while the busy column was")
    print("timed)\n")
    print_backlog(idle, busy)
    drained = await wait_idle(url, ours)
    print(f"\n(the backlog drained {drained:.0f} s after the last busy request)", flush=True)


async def run(args: argparse.Namespace, ours_url: str) -> None:
    work = Workload(args.scale)
    async with LeanClient(ours_url) as ours, LeanClient(args.reference_url) as ref:
        print("seeding both sides ...", file=sys.stderr)
        await asyncio.gather(work.seed(ours), work.seed(ref))
        await wait_idle(ours_url, ours)
        await asyncio.sleep(5)  # the reference indexes in its own background process
        cases = [c for c in work.cases() if not args.only or any(o in c.name for o in args.only)]
        load = os.getloadavg()
        print(f"\n### Ours vs reference (load average at start {load[0]:.1f} {load[1]:.1f} "
              f"{load[2]:.1f}; {os.cpu_count()} cores)\n")  # fmt: skip
        print(
            "| operation | c | ours p50 / p95 / p99 ms | reference p50 / p95 / p99 ms | ratio p95 |"
        )
        print("|---|---|---|---|---|")
        counters: dict[str, int] = {}
        for case in cases:
            # The writes of the seeding and of the previous operation queue background work
            # (promotion, embedding, enrichment): let our worker drain it first, so that each
            # operation is timed against an idle worker (the backlog table times a busy one).
            await wait_idle(ours_url, ours)
            for c in args.concurrency:
                mine, theirs = await measure(case, c, ours, ref, counters)
                ratio = pct(theirs, 95) / pct(mine, 95)
                print(f"| {case.name} | {c} | {_fmt(mine)} | {_fmt(theirs)} | {ratio:.2f} |",
                      flush=True)  # fmt: skip
        load = os.getloadavg()
        print(f"\n(load average at end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})")
        if not args.no_backlog:
            await backlog_table(work, ours, ours_url, args.backlog_requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference-url", required=True)
    parser.add_argument("--port", type=int, default=18431, help="ours")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--scale", type=float, default=1.0, help="of the requests per op")
    parser.add_argument("--only", nargs="*", default=None, help="operations whose name has this")
    parser.add_argument("--backlog-requests", type=int, default=100)
    parser.add_argument("--no-backlog", action="store_true")
    args = parser.parse_args()
    _wait_http(args.reference_url, None, 10)
    with ours_running(args.port) as url:
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
