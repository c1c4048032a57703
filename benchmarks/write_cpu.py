"""Server CPU per write request: a figure that does not move with the machine's load.

Starts ours as `make bench-reference` does (`agent-memory api`, defaults, fresh data dir),
optionally with the embedded worker off so that background work does not land in the count,
and times PUT working memory (10 msgs), append (2 msgs) and create long-term (1) at c=1:
process CPU (user + system, from /proc) of the API process and of its embedded Redis over N
requests, divided by N, beside wall p50/p95.

    uv run python -m benchmarks.write_cpu [--requests 200] [--worker]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from benchmarks.http_client import LeanClient
from benchmarks.search_overhead import pct
from benchmarks.vs_reference import ours_running
from benchmarks.vs_reference_ops import Workload
from tests.support.hermetic import free_port

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """User + system seconds of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return found


def _api_pid(port: int) -> int:
    """The process listening on `port` (the API), found by its socket inode."""
    hexport = f"{port:04X}"
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[1].endswith(f":{hexport}") and parts[3] == "0A":
            inodes.add(parts[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in {f"socket:[{i}]" for i in inodes}:
                    return int(proc.name)
        except OSError:
            continue
    raise RuntimeError(f"no process listens on {port}")


async def run(requests: int, port: int) -> None:
    api = _api_pid(port)
    procs = {"api": api, **{f"child {p}": p for p in _children(api)}}
    work = Workload(scale=requests / 200)
    async with LeanClient(f"http://127.0.0.1:{port}") as client:
        await work.seed(client)
        cases = [work.put(10), work.append(), work.create(1, "x")]
        for case in cases:
            for i in range(10):  # warm
                await case.ours(client, 10_000 + i)
            before = {name: _cpu(pid) for name, pid in procs.items()}
            times = []
            for i in range(case.requests):
                start = time.perf_counter()
                await case.ours(client, i)
                times.append((time.perf_counter() - start) * 1000)
            after = {name: _cpu(pid) for name, pid in procs.items()}
            cpu = {k: (after[k] - before[k]) * 1000 / case.requests for k in procs}
            shown = ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
            print(
                f"{case.name:<45} n={case.requests} cpu ms/req: {shown} | wall p50 "
                f"{pct(times, 50):.1f} p95 {pct(times, 95):.1f} ms | load {os.getloadavg()[0]:.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--worker", action="store_true", help="keep the embedded worker on")
    args = parser.parse_args()
    if not args.worker:
        os.environ["EMBEDDED_WORKER"] = "false"
    port = free_port()
    with ours_running(port):
        asyncio.run(run(args.requests, port))


if __name__ == "__main__":
    main()
