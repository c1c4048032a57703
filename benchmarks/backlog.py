"""Does background work tax the foreground? The backlog table of `make bench-reference`, for
each way of running the embedded worker, without the reference server.

For each EMBEDDED_WORKER_MODE (process, the default, and inline) and each repetition, in
alternating order (inline, process, process, inline, ...), `agent-memory api` starts on a fresh
embedded Redis with default settings; it is seeded (64 sessions of 10 messages, 400 memories)
and left to drain; after an untimed pass of 20 requests per case (a fresh server's first
requests pay one-off costs), each request of the backlog table is timed at c=1 with the worker idle,
and again right after 2,000 messages were written (100 sessions of 20) while the worker
promotes, embeds and enriches them; the cases take turns, one request each, so that every case
sees the same stretch of the backlog. Ratio = busy p95 / idle p95 (target <= 1.25); the ratios
of one run are measured minutes apart at most, so that machine load moves both columns alike.
The load average is printed with every run.

    uv run python -m benchmarks.backlog [--repeats 2] [--requests 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys

from benchmarks.harness import running_server
from benchmarks.http_client import LeanClient
from benchmarks.search_overhead import pct
from benchmarks.vs_reference import measure_backlog, print_backlog, wait_idle
from benchmarks.vs_reference_ops import Workload, _params, ok

MODES = ("inline", "process")


def _load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


async def seed(work: Workload, client: LeanClient) -> None:
    """What the backlog cases read: the sessions of 10 messages and the memories."""
    for session, namespace, user, msgs in work.sessions[10]:
        body = {"messages": msgs, "namespace": namespace, "user_id": user}
        await ok(client.put(f"/v1/working-memory/{session}", json=body,
                            params=_params(namespace, user)))  # fmt: skip
    for start in range(0, len(work.memories), 100):
        body = {"memories": work.memories[start : start + 100]}
        await ok(client.post("/v1/long-term-memory/", json=body))


async def one_run(url: str, requests: int, mode: str, run: int) -> dict[str, float]:
    work = Workload()
    async with LeanClient(url) as client:
        await seed(work, client)
        before = _load()
        idle, busy, written, ran = await measure_backlog(work, client, url, requests)
        after = _load()
        drained = await wait_idle(url, client)
    print(f"\n#### run {run}: EMBEDDED_WORKER_MODE={mode} (load average {before} before, "
          f"{after} after; writes took {written:.1f} s; {ran:.0f} task runs while busy was timed; "
          f"drained {drained:.0f} s after)\n")  # fmt: skip
    print_backlog(idle, busy)
    sys.stdout.flush()
    return {name: pct(busy[name], 95) / pct(idle[name], 95) for name in idle}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--requests", type=int, default=100, help="per case and column")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    ratios: dict[str, list[dict[str, float]]] = {mode: [] for mode in args.modes}
    run = 0
    for repeat in range(args.repeats):
        for mode in args.modes if repeat % 2 == 0 else args.modes[::-1]:
            run += 1
            with running_server(EMBEDDED_WORKER_MODE=mode) as server:
                ratios[mode].append(asyncio.run(one_run(server.url, args.requests, mode, run)))
    print(f"\n### busy p95 / idle p95, median of {args.repeats} runs per mode (each run's value)\n")
    print("| operation | " + " | ".join(args.modes) + " |")
    print("|---|" + "---|" * len(args.modes))
    for name in ratios[args.modes[0]][0]:
        cells = []
        for mode in args.modes:
            values = [r[name] for r in ratios[mode]]
            listed = ", ".join(f"{v:.2f}" for v in values)
            cells.append(f"{statistics.median(values):.2f} ({listed})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\n(load average at end {_load()}; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
