"""What token auth costs a request, with 10,000 tokens stored: two servers side by side.

Starts `agent-memory api` twice on one embedded Redis (AUTH_MODE=token and AUTH_MODE=none,
different key prefixes), stores N tokens for the first, then alternates the same request
(GET /v1/working-memory/?limit=1, a cheap authenticated route) against both and prints the
latencies and their difference. Also times `authenticate()` in this process (one HGETALL).

    uv run python -m benchmarks.auth_overhead [--tokens 10000] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from redis.asyncio import Redis

from agent_memory_server.config import Settings
from agent_memory_server.services.auth import add_token, authenticate
from agent_memory_server.storage.api_tokens import TokenStore
from agent_memory_server.storage.keys import Keys
from benchmarks.harness import running_server
from benchmarks.search_overhead import pct


async def _store_tokens(store: TokenStore, count: int) -> str:
    tokens: list[str] = []
    for start in range(0, count, 100):
        batch = range(start, min(count, start + 100))
        made = await asyncio.gather(*(add_token(store, f"t{i}") for i in batch))
        tokens.extend(token for token, _ in made)
    return tokens[count // 2]  # one from the middle of the pile


async def measure(url_on: str, url_off: str, redis_url: str, tokens: int, requests: int) -> str:
    redis = Redis.from_url(redis_url)
    store = TokenStore(redis, Keys("authbench"))
    token = await _store_tokens(store, tokens)
    header = {"authorization": f"Bearer {token}"}
    settings = Settings(_env_file=None, auth_mode="token", redis_url=redis_url)  # type: ignore[call-arg]
    in_process = []
    for _ in range(requests):
        started = time.perf_counter()
        await authenticate(settings, store, header["authorization"])
        in_process.append((time.perf_counter() - started) * 1000)
    await redis.aclose()
    on: list[float] = []
    off: list[float] = []
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(50):  # warm-up
            await http.get(f"{url_on}/v1/working-memory/?limit=1", headers=header)
            await http.get(f"{url_off}/v1/working-memory/?limit=1")
        for _ in range(requests):
            for url, sink, headers in ((url_on, on, header), (url_off, off, {})):
                started = time.perf_counter()
                response = await http.get(f"{url}/v1/working-memory/?limit=1", headers=headers)
                sink.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
    rows = [
        f"{tokens} tokens stored; {requests} requests each, alternating",
        "",
        "| | p50 | p95 | p99 |",
        "|---|---|---|---|",
    ]
    for label, values in (("auth on", on), ("auth off", off), ("authenticate() alone", in_process)):
        rows.append(
            f"| {label} | {statistics.median(values):.3f} ms | {pct(values, 95):.3f} ms "
            f"| {pct(values, 99):.3f} ms |"
        )
    delta = statistics.median(on) - statistics.median(off)
    rows += ["", f"Auth adds {delta:.3f} ms at p50 over HTTP."]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2_000)
    args = parser.parse_args()
    with running_server(AUTH_MODE="token", KEY_PREFIX="authbench", EMBEDDED_WORKER="false") as on:
        # The second server joins the first one's Redis.
        off_env = {"KEY_PREFIX": "authoff", "EMBEDDED_WORKER": "false", "REDIS_URL": on.redis_url}
        with running_server(**off_env) as off:
            table = measure(on.url, off.url, on.redis_url, args.tokens, args.requests)
            print(asyncio.run(table))


if __name__ == "__main__":
    main()
