"""Search latency over HTTP against its physical floor, measured side by side in one run.

Starts an embedded Redis and a real `agent-memory api` process, loads N synthetic memories
(many namespaces), then for each mode times `POST /v1/long-term-memory/search` over HTTP and,
on the same Redis, the raw commands the search needs: the query embedding (same local model,
in this process) plus FT.SEARCH KNN (semantic), FT.SEARCH BM25 (keyword) or both (hybrid),
with the same namespace filter, alternating the two query by query. Prints p50/p95/p99 and
the ratio HTTP p95 / floor p95.

    uv run python -m benchmarks.search_overhead [--records 20000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import httpx
import numpy as np
import redis

from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from agent_memory_server.storage.filters import query_terms, text_query_string
from benchmarks.harness import Server, running_server

WORDS = (  # noqa: SIM905
    "alice bob carol dave paris london tokyo garden cello ramen coffee meeting project report "
    "budget flight hotel doctor dentist birthday gift dog cat piano running yoga book movie "
    "concert sister brother mother father school exam recipe pasta salad bike train museum"
).split()


HYBRID_DEPTH = 50  # the server's default SEARCH_CANDIDATES


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


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
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        return [await _http_search(http, text, namespace, mode) for text, namespace in queries]


async def _http_search(http: httpx.AsyncClient, text: str, namespace: str, mode: str) -> float:
    body = {"text": text, "search_mode": mode, "namespace": {"eq": namespace}, "limit": 10}
    started = time.perf_counter()
    response = await http.post("/v1/long-term-memory/search", json=body)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


def floor_latencies(
    client: redis.Redis, embedder: MiniLMEmbedder, index: str, queries: list[tuple[str, str]],
    mode: str,
) -> list[float]:  # fmt: skip
    """The raw commands a search needs, issued one after the other from this process.

    Semantic and keyword: the query embedding (semantic) and one FT.SEARCH for the page (10).
    Hybrid: the embedding and both legs at the depth the server fuses (SEARCH_CANDIDATES, 50).
    """
    depth = str(HYBRID_DEPTH if mode == "hybrid" else 10)
    timings = []
    for text, namespace in queries:
        started = time.perf_counter()
        where = f"@namespace:{{{namespace}}}"
        if mode in ("semantic", "hybrid"):  # the keyword leg needs no embedding
            vector = embedder.embed_sync([text])[0].astype(np.float32).tobytes()
            client.execute_command(
                "FT.SEARCH", index, f"({where})=>[KNN {depth} @vector $v AS d]",
                "PARAMS", "2", "v", vector, "SORTBY", "d", "LIMIT", "0", depth, "DIALECT", "2",
            )  # fmt: skip
        if mode in ("keyword", "hybrid"):
            query = f"({text_query_string('text', query_terms(text))}) {where}"
            client.execute_command(
                "FT.SEARCH", index, query, "SCORER", "BM25STD", "WITHSCORES",
                "LIMIT", "0", depth, "DIALECT", "2",
            )  # fmt: skip
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def measure(server: Server, records: int, namespaces: int, queries: int) -> str:
    """Load `records` memories, then time each mode over HTTP and at its floor; a markdown table."""
    rng = random.Random(7)
    rate = await load(server.url, records, namespaces, rng)
    lines = [
        f"{records} memories in {namespaces} namespaces, loaded at {rate:.0f}/s over HTTP; "
        f"{queries} queries per mode, limit 10, namespace filter",
        "",
        "| mode | HTTP p50 | HTTP p95 | HTTP p99 | floor p50 | floor p95 | p95 ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    client = redis.Redis.from_url(server.redis_url)
    embedder = MiniLMEmbedder()
    index = f"{server.key_prefix}:ltm_idx"
    for mode in ("semantic", "keyword", "hybrid"):
        # Texts of their own per mode, warm-up apart: the server's query vector cache
        # (QUERY_EMBEDDING_CACHE) never answers a timed query, as the floor's embedding has none.
        asked = [(sentence(rng), f"ns{rng.randrange(namespaces)}") for _ in range(queries + 20)]
        warm_up, asked = asked[:20], asked[20:]
        await http_latencies(server.url, warm_up, mode)
        floor_latencies(client, embedder, index, warm_up, mode)
        # Alternate the two per query, so that both see the machine in the same state.
        over_http: list[float] = []
        floor: list[float] = []
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            for text, namespace in asked:
                over_http.append(await _http_search(http, text, namespace, mode))
                floor.extend(floor_latencies(client, embedder, index, [(text, namespace)], mode))
        cells = [
            statistics.median(over_http), pct(over_http, 95), pct(over_http, 99),
            statistics.median(floor), pct(floor, 95),
        ]  # fmt: skip
        ratio = pct(over_http, 95) / pct(floor, 95)
        lines.append(
            f"| {mode} | " + " | ".join(f"{v:.2f} ms" for v in cells) + f" | {ratio:.2f}x |"
        )
    client.close()
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    with running_server(TRACK_ACCESS="false", EMBEDDED_WORKER="false") as server:
        print(asyncio.run(measure(server, args.records, args.namespaces, args.queries)))


if __name__ == "__main__":
    main()
