"""Search latency over HTTP against its physical floor, measured side by side in one run.

Starts an embedded Redis and a real `agent-memory api` process, loads N synthetic memories
(many namespaces), then for each mode times `POST /v1/long-term-memory/search` over HTTP and,
on the same Redis, the raw commands the search needs: the query embedding (same local model,
in this process) plus FT.SEARCH KNN (semantic), FT.SEARCH BM25 (keyword) or both (hybrid),
with the same namespace filter. Prints p50/p95/p99 and the ratio HTTP p95 / floor p95.

    uv run python benchmarks/search_overhead.py [--records 20000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import redis

from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from agent_memory_server.storage.embedded import EmbeddedRedis, _free_port
from agent_memory_server.storage.filters import query_terms, text_query_string

WORDS = (  # noqa: SIM905
    "alice bob carol dave paris london tokyo garden cello ramen coffee meeting project report "
    "budget flight hotel doctor dentist birthday gift dog cat piano running yoga book movie "
    "concert sister brother mother father school exam recipe pasta salad bike train museum"
).split()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def start_server(redis_url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "REDIS_URL": redis_url, "DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING",
           "KEY_PREFIX": "bench", "LLM_PROVIDER": "none", "TRACK_ACCESS": "false"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "agent_memory_server", "api", "--port", str(port)], env=env
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


async def load(url: str, records: int, namespaces: int, rng: random.Random) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        for start in range(0, records, 500):
            batch = [
                {"id": f"b{i}", "text": sentence(rng), "namespace": f"ns{i % namespaces}"}
                for i in range(start, min(records, start + 500))
            ]
            response = await http.post(
                "/v1/long-term-memory/", json={"memories": batch, "deduplicate": False}
            )
            response.raise_for_status()
    return records / (time.perf_counter() - started)


async def http_latencies(url: str, queries: list[tuple[str, str]], mode: str) -> list[float]:
    timings = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for text, namespace in queries:
            body = {"text": text, "search_mode": mode, "namespace": {"eq": namespace}, "limit": 10}
            started = time.perf_counter()
            response = await http.post("/v1/long-term-memory/search", json=body)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return timings


def floor_latencies(
    client: redis.Redis, embedder: MiniLMEmbedder, queries: list[tuple[str, str]], mode: str
) -> list[float]:
    timings = []
    for text, namespace in queries:
        started = time.perf_counter()
        where = f"@namespace:{{{namespace}}}"
        if mode in ("semantic", "hybrid"):  # the keyword leg needs no embedding
            vector = embedder.embed_sync([text])[0].astype(np.float32).tobytes()
            client.execute_command(
                "FT.SEARCH", "bench:ltm_idx", f"({where})=>[KNN 10 @vector $v AS d]",
                "PARAMS", "2", "v", vector, "SORTBY", "d", "LIMIT", "0", "10", "DIALECT", "2",
            )  # fmt: skip
        if mode in ("keyword", "hybrid"):
            query = f"({text_query_string('text', query_terms(text))}) {where}"
            client.execute_command(
                "FT.SEARCH", "bench:ltm_idx", query, "SCORER", "BM25STD", "WITHSCORES",
                "LIMIT", "0", "10", "DIALECT", "2",
            )  # fmt: skip
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        server_redis = EmbeddedRedis(Path(tmp) / "redis")
        redis_url = server_redis.start()
        process, url = start_server(redis_url, Path(tmp))
        try:
            rate = await load(url, args.records, args.namespaces, rng)
            print(f"loaded {args.records} memories at {rate:.0f}/s over HTTP (embedding included)")
            queries = [
                (sentence(rng), f"ns{rng.randrange(args.namespaces)}") for _ in range(args.queries)
            ]
            client = redis.Redis.from_url(redis_url)
            embedder = MiniLMEmbedder()
            print("| mode | HTTP p50 | HTTP p95 | HTTP p99 | floor p50 | floor p95 | p95 ratio |")
            print("|---|---|---|---|---|---|---|")
            for mode in ("semantic", "keyword", "hybrid"):
                await http_latencies(url, queries[:20], mode)  # warm-up
                floor_latencies(client, embedder, queries[:20], mode)
                over_http = await http_latencies(url, queries, mode)
                floor = floor_latencies(client, embedder, queries, mode)
                ratio = pct(over_http, 95) / pct(floor, 95)
                cells = [
                    statistics.median(over_http), pct(over_http, 95), pct(over_http, 99),
                    statistics.median(floor), pct(floor, 95),
                ]  # fmt: skip
                print(
                    f"| {mode} | " + " | ".join(f"{v:.2f} ms" for v in cells) + f" | {ratio:.2f}x |"
                )
        finally:
            process.terminate()
            process.wait(timeout=30)
            server_redis.stop()


if __name__ == "__main__":
    asyncio.run(main())
