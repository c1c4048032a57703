"""Ingest of realistic conversation turns beside the embedder's own rate on the same texts.

The texts are LongMemEval development turns (/work/shared/data/longmemeval, about 1,000
characters each; most reach the embedder's 256-token cap). Ours is started as a user starts it
(`agent-memory api`, default settings: embedded Redis and worker, local MiniLM, spaCy entities,
embedding topics) on a fresh data directory. For each batch of `--batch` turns, in turn:

1. ingest: `POST /v1/long-term-memory/` of the batch (`--in-flight` such requests at once,
   default settings of the request), which answers once the records are embedded and
   searchable (the background entity/topic enrichment may run behind);
2. embedder: `MiniLMEmbedder.embed_sync` of the same texts in this process (same model, the
   server's default thread count and batch size).

The two alternate, so that both see the same machine (and the same background work of the
server). Prints records/s of each, ingest / embedder, and how long the server's background
work took to finish after the last batch.

    uv run python -m benchmarks.ingest_longmemeval [--records 1000] [--batch 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "longmemeval"
DATA_FILE = DATA / "longmemeval_s_dev40.json"


def turns(limit: int) -> list[str]:
    """The first `limit` distinct non-empty turns, question by question, session by session."""
    questions = json.loads(DATA_FILE.read_text())
    seen: set[str] = set()
    out: list[str] = []
    for question in questions:
        for session in question["haystack_sessions"]:
            for turn in session:
                text = turn["content"].strip()
                if text and text not in seen:
                    seen.add(text)
                    out.append(text)
                    if len(out) == limit:
                        return out
    return out


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _ready(http: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    while True:
        try:
            if (await http.get("/v1/health")).status_code == 200:
                return
        except httpx.TransportError:
            if process.poll() is not None:
                raise RuntimeError("the API exited") from None
        await asyncio.sleep(0.1)


async def _task_runs(http: httpx.AsyncClient) -> float:
    """Background task runs so far (the sum of the server's task-run counter)."""
    text = (await http.get("/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("agent_memory_task_runs_total")
    )


async def _until_idle(http: httpx.AsyncClient, quiet: float = 3.0, limit: float = 1800) -> float:
    """Wait until the worker has run no task for `quiet` seconds; the seconds until its last."""
    begin = time.perf_counter()
    last, since = await _task_runs(http), time.perf_counter()
    while time.perf_counter() - begin < limit and time.perf_counter() - since < quiet:
        await asyncio.sleep(0.5)
        now = await _task_runs(http)
        if now != last:
            last, since = now, time.perf_counter()
    return since - begin


async def measure(url: str, texts: list[str], batch: int, in_flight: int) -> dict[str, float]:
    embedder = MiniLMEmbedder()
    embedder.embed_sync(["warm up"])
    spent = {"ingest": 0.0, "embedder": 0.0}
    async with httpx.AsyncClient(base_url=url, timeout=600) as http:
        # the server's models load in the background after it listens: let them finish first
        (
            await http.post("/v1/long-term-memory/search", json={"text": "warm up"})
        ).raise_for_status()
        step = batch * in_flight
        for first in range(0, len(texts), step):
            chunk = texts[first : first + step]
            bodies = [
                {"memories": [{"text": t, "namespace": "lme", "user_id": "u"} for t in
                              chunk[i : i + batch]]}
                for i in range(0, len(chunk), batch)
            ]  # fmt: skip
            began = time.perf_counter()
            replies = await asyncio.gather(
                *(http.post("/v1/long-term-memory/", json=body) for body in bodies)
            )
            spent["ingest"] += time.perf_counter() - began
            for reply in replies:
                reply.raise_for_status()
            began = time.perf_counter()
            embedder.embed_sync(chunk)
            spent["embedder"] += time.perf_counter() - began
        spent["drain"] = await _until_idle(http)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=1)
    args = parser.parse_args()
    texts = turns(args.records)
    chars = sum(len(t) for t in texts) / len(texts)
    with tempfile.TemporaryDirectory(prefix="ams-lme-ingest-") as tmp:
        port = _free_port()
        env = {**os.environ, "DATA_DIR": tmp, "LOG_LEVEL": "WARNING", "LLM_PROVIDER": "none"}
        process = subprocess.Popen(
            [sys.executable, "-m", "agent_memory_server", "api", "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(_wait_ready(url, process))
            load_before = os.getloadavg()[0]
            spent = asyncio.run(measure(url, texts, args.batch, args.in_flight))
            load_after = os.getloadavg()[0]
        finally:
            process.terminate()
            process.wait(timeout=60)
    n = len(texts)
    ingest, embed = n / spent["ingest"], n / spent["embedder"]
    print(
        f"{n} LongMemEval dev turns ({chars:.0f} chars on average), batches of {args.batch}, "
        f"{args.in_flight} in flight; load average {load_before:.1f} -> {load_after:.1f}"
    )
    print(
        f"  ingest over HTTP, until searchable  {spent['ingest']:7.1f} s  {ingest:7.1f} records/s"
    )
    print(
        f"  embedder alone (in process)         {spent['embedder']:7.1f} s  {embed:7.1f} records/s"
    )
    print(f"  ingest / embedder = {100 * ingest / embed:.0f}% (target >= 80%)")
    print(f"  background work finished {spent['drain']:.1f} s after the last batch")


async def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        await _ready(http, process)


if __name__ == "__main__":
    main()
