"""The floor of any request on this machine: a bare Starlette route answering a fixed JSON body
through uvicorn (same loop, parser and client as ours), beside our cheapest route.

Starts `uvicorn` on a one-route Starlette app in a child process (uvicorn's defaults, as
`agent-memory api` runs it: uvloop, httptools), and `agent-memory api` (default settings,
LOG_LEVEL=WARNING), then sends, at c=1 and alternating request by request: GET of the bare
route, GET /v1/health of ours (open: no auth, no Redis), and GET of a working-memory session
that does not exist (404: the whole middleware stack and one Redis call). Prints p50/p95 and
server CPU per request of each.

    uv run python -m benchmarks.http_floor [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

from agent_memory_server.storage.embedded import _free_port
from benchmarks.ab import cpu_seconds
from benchmarks.api_load import loadavg
from benchmarks.harness import running_server
from benchmarks.http_client import LeanClient
from benchmarks.profile_op import quiet
from benchmarks.search_overhead import pct

BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"now":1,"status":"ok"}'

async def fixed(request):
    return Response(BODY, media_type="application/json")

app = Starlette(routes=[Route("/fixed", fixed)])
"""


def _bare(port: int, directory: str) -> subprocess.Popen[bytes]:
    with open(os.path.join(directory, "bare_floor_app.py"), "w") as f:
        f.write(BARE_APP)
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_floor_app:app", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        cwd=directory,
    )  # fmt: skip


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def measure(targets: list[tuple[str, str, str, int]], requests: int) -> None:
    await quiet(targets[-1][3])  # ours: models loaded, the embedded worker idle
    clients = {base: LeanClient(base) for _, base, _, _ in targets}
    for _, base, path, _ in targets:
        for _ in range(50):
            await clients[base].get(path)
    times: list[list[float]] = [[] for _ in targets]
    pids = {pid for _, _, _, pid in targets}
    began = {pid: cpu_seconds(pid) for pid in pids}
    for i in range(requests):
        order = range(len(targets)) if i % 2 == 0 else reversed(range(len(targets)))
        for k in order:
            _, base, path, _ = targets[k]
            start = time.perf_counter()
            await clients[base].get(path)
            times[k].append((time.perf_counter() - start) * 1000)
    sent = collections.Counter(pid for _, _, _, pid in targets)
    cpu = {pid: (cpu_seconds(pid) - began[pid]) * 1000 / (requests * sent[pid]) for pid in pids}
    print(f"c=1, {requests} requests each, interleaved; load average {loadavg()}")
    print("| request | p50 ms | p95 ms | server CPU ms/request (mean over its server's rows) |")
    print("|---|---|---|---|")
    for (name, _, _, pid), v in zip(targets, times, strict=True):
        print(f"| {name} | {statistics.median(v):.2f} | {pct(v, 95):.2f} | {cpu[pid]:.2f} |")
    for client in clients.values():
        await client.__aexit__()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="ams-floor-") as tmp,
        running_server(LOG_LEVEL="WARNING") as ours,
    ):
        port = _free_port()
        bare = _bare(port, tmp)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(f"{base}/fixed")
            targets = [
                ("bare Starlette route, fixed JSON", base, "/fixed", bare.pid),
                ("ours: GET /v1/health", ours.url, "/v1/health", ours.pid),
                ("ours: GET /v1/working-memory/missing (404)", ours.url,
                 "/v1/working-memory/missing?namespace=n", ours.pid),
            ]  # fmt: skip
            asyncio.run(measure(targets, args.requests))
        finally:
            bare.terminate()
            bare.wait(timeout=30)


if __name__ == "__main__":
    main()
