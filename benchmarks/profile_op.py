"""py-spy profile of one operation of benchmarks/api_ops.py under a steady c=1 load.

Starts `agent-memory api` (default settings but LOG_LEVEL=WARNING, as the comparisons run it),
seeds it as benchmarks/ab.py does, then sends one operation back to back from a lean client
while `py-spy record` samples the server. py-spy is not a dependency: install it into your venv
(`uv pip install py-spy`). Prints the top functions by inclusive and own samples.

    uv run python -m benchmarks.profile_op keyword [--seconds 20] [--records 400] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from benchmarks import ingest
from benchmarks.ab import NEEDS_RECORDS, _one, _operation, cpu_seconds
from benchmarks.api_load import CLIENT_LIMITS, loadavg
from benchmarks.api_ops import Ops
from benchmarks.harness import Server, running_server
from benchmarks.http_client import LeanClient


def _py_spy(pid: int, raw: Path, seconds: float) -> subprocess.Popen[bytes]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--rate", "500", "--format", "raw", "--output",
         str(raw), "--nonblocking", "--duration", str(int(seconds))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def drive(server: Server, name: str, seconds: float, records: int, out: Path) -> Path:
    redis = Redis.from_url(server.redis_url)
    embedder = MiniLMEmbedder()
    client = LeanClient(server.url)
    reference = httpx.AsyncClient(timeout=300, limits=CLIENT_LIMITS)
    ops = Ops(client, redis, embedder, server.key_prefix, 10, reference)
    if name in NEEDS_RECORDS:
        await ingest.measure(client, redis, embedder, server.key_prefix, records, 10, "")
    sessions = {n: await ops.setup_sessions("get", n) for n in (10, 100)}
    op = await _operation(ops, name, sessions)
    await quiet(server.pid)
    for i in range(20):
        await _one(op, 1_000_000 + i)
    raw = out / f"{name}.txt"
    spy = _py_spy(server.pid, raw, seconds)
    await asyncio.sleep(0.5)
    times: list[float] = []
    began = time.monotonic()
    i = 0
    while spy.poll() is None:
        times.append(await _one(op, 2_000_000 + i))
        i += 1
    times.sort()
    print(
        f"{name}: {len(times)} requests in {time.monotonic() - began:.1f} s, p50 "
        f"{times[len(times) // 2]:.2f} p95 {times[int(len(times) * 0.95)]:.2f} ms, "
        f"load {loadavg()}"
    )
    await client.__aexit__()
    await reference.aclose()
    await redis.aclose()
    return raw


async def quiet(pid: int, limit: float = 120) -> None:
    """Wait until the server uses under 3 % of a core (its embedded worker has drained)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(1)
        if cpu_seconds(pid) - before < 0.03:
            return


def summarize(raw: Path, top: int, only_thread: str | None) -> None:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if only_thread and only_thread not in stack.split(";", 1)[0]:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    print(f"{total} samples")
    print("-- inclusive")
    for frame, n in inclusive.most_common(top):
        print(f"{100 * n / total:5.1f}% {frame}")
    print("-- own")
    for frame, n in own.most_common(top):
        print(f"{100 * n / total:5.1f}% {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("op")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--out", type=Path, default=Path("/tmp"))
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--thread", default=None, help="only stacks of threads named like this")
    parser.add_argument(
        "--worker", default="false", help="EMBEDDED_WORKER (off: no background noise)"
    )
    args = parser.parse_args()
    with running_server(LOG_LEVEL="WARNING", EMBEDDED_WORKER=args.worker) as server:
        raw = asyncio.run(drive(server, args.op, args.seconds, args.records, args.out))
    summarize(raw, args.top, args.thread)


if __name__ == "__main__":
    main()
