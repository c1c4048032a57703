"""Server CPU of one request, without HTTP: the app called as uvicorn calls it, in process.

Builds the app with default settings (on a fresh data directory and its embedded Redis,
EMBEDDED_WORKER off so that nothing else runs), seeds it (sessions of 10 messages, 400
memories in 10 namespaces), then calls the ASGI app directly for one operation, back to back,
and prints the CPU time per call and a cProfile of the calls, once the models' background loads
have ended. What uvicorn itself adds (HTTP
parsing, the socket) is what benchmarks/http_floor.py measures.

    uv run python -m benchmarks.asgi_profile get10 put10 put100 append keyword semantic hybrid
        prompt create1 [--calls 500] [--top 40] [--no-profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from agent_memory_server.app import create_app
from agent_memory_server.config import Settings
from benchmarks.api_ops import MODEL, owner
from benchmarks.search_overhead import sentence

Call = tuple[str, str, dict[str, str], Any]  # method, path, query, JSON body


async def call(app: Any, method: str, path: str, query: dict[str, str], body: Any) -> bytes:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench")]
    if body is not None:
        headers += [(b"content-type", b"application/json"),
                    (b"content-length", str(len(raw)).encode())]  # fmt: skip
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": urlencode(query).encode(), "headers": headers,
        "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5000), "app": None,
        "state": {},
    }  # fmt: skip
    sent = False
    out: list[bytes] = []
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            out.append(message.get("body", b""))

    await app(scope, receive, send)
    if status >= 400:
        raise RuntimeError(f"{method} {path}: {status} {b''.join(out)[:300]!r}")
    return b"".join(out)


def operations(rng: random.Random) -> dict[str, Callable[[int], Call]]:
    def query(op: str, i: int) -> tuple[str, tuple[str, str]]:
        # A text of its own per request: the query vector cache never hides the embedding.
        q_rng = random.Random(f"{op}/{i}")
        return sentence(q_rng), owner(q_rng.randrange(100), 10)

    def session(i: int) -> tuple[str, str, str]:
        k = i % 32
        namespace, user = owner(k, 10)
        return f"s10-{k}", namespace, user

    def params(i: int) -> dict[str, str]:
        _, namespace, user = session(i)
        return {"namespace": namespace, "user_id": user, "model_name": MODEL}

    bodies = {}

    def put(size: int) -> Callable[[int], Call]:
        def build(i: int) -> Call:
            name, namespace, user = session(i)
            name = name if size == 10 else f"s{size}-{i % 32}"
            body = bodies.setdefault(name, {
                "messages": [{"role": ("user", "assistant")[m % 2], "content": sentence(rng),
                              "id": f"{name}-{m}", "created_at": "2026-01-01T00:00:00Z"}
                             for m in range(size)],
                "namespace": namespace, "user_id": user,
            })  # fmt: skip
            return "PUT", f"/v1/working-memory/{name}", params(i), body

        return build

    def search(mode: str) -> Callable[[int], Call]:
        def build(i: int) -> Call:
            text, (namespace, user) = query(mode, i)
            body = {"text": text, "search_mode": mode, "limit": 10,
                    "namespace": {"eq": namespace}, "user_id": {"eq": user}}  # fmt: skip
            return "POST", "/v1/long-term-memory/search", {}, body

        return build

    def prompt(i: int) -> Call:
        name, namespace, user = session(i)
        body = {"query": query("prompt", i)[0], "long_term_search": True,
                "session": {"session_id": name, "namespace": namespace, "user_id": user,
                            "model_name": MODEL}}  # fmt: skip
        return "POST", "/v1/memory/prompt", {}, body

    def append(i: int) -> Call:
        name = session(i)[0]
        body = {"messages": [{"role": "user", "content": sentence(rng)},
                             {"role": "assistant", "content": sentence(rng)}]}  # fmt: skip
        return "POST", f"/sessions/{name}/memory", params(i), body

    def create1(i: int) -> Call:
        namespace, user = owner(i, 10)
        text = f"{sentence(rng)} ({i})"
        body = {"memories": [{"text": text, "namespace": namespace, "user_id": user}]}
        return "POST", "/v1/long-term-memory/", {}, body

    return {
        "health": lambda i: ("GET", "/v1/health", {}, None),
        "get10": lambda i: ("GET", f"/v1/working-memory/{session(i)[0]}", params(i), None),
        "put10": put(10),
        "put100": put(100),
        "append": append,
        "keyword": search("keyword"),
        "semantic": search("semantic"),
        "hybrid": search("hybrid"),
        "prompt": prompt,
        "create1": create1,
    }


async def run(names: list[str], calls: int, top: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="ams-asgi-") as tmp:
        os.environ.update(DATA_DIR=tmp, EMBEDDED_WORKER="false", LOG_LEVEL="WARNING")
        app = create_app(Settings())
        async with app.router.lifespan_context(app):
            app.state.resources.embedder  # noqa: B018
            rng = random.Random(5)
            ops = operations(rng)
            for start in range(0, 400, 100):
                memories = []
                for j in range(start, start + 100):
                    namespace, user = owner(j, 10)
                    memories.append({"text": sentence(rng), "namespace": namespace,
                                     "user_id": user})  # fmt: skip
                await call(app, "POST", "/v1/long-term-memory/", {}, {"memories": memories})
            for i in range(32):
                await call(app, *ops["put10"](i))

            # The models load in threads once the app serves: wait for them, or their loads
            # take the GIL from the calls timed meanwhile.
            loads = [t for t in threading.enumerate() if t.name.startswith("warm-")]
            await asyncio.to_thread(lambda: [t.join() for t in loads])

            async def send(c: Call) -> None:
                scope_app = app
                await call(scope_app, *c)

            for name in names:
                build = ops[name]
                for i in range(20):
                    await send(build(1000 + i))
                prepared = [build(2000 + i) for i in range(calls)]
                profiler = cProfile.Profile() if profile else None
                cpu, wall = time.process_time(), time.perf_counter()
                if profiler is not None:
                    profiler.enable()
                for c in prepared:
                    await send(c)
                if profiler is not None:
                    profiler.disable()
                cpu = (time.process_time() - cpu) * 1000 / calls
                wall = (time.perf_counter() - wall) * 1000 / calls
                print(f"== {name}: {cpu:.3f} ms CPU, {wall:.3f} ms wall per call ({calls} calls"
                      f"{', profiled' if profile else ''})", flush=True)  # fmt: skip
                if profiler is not None:
                    stats = pstats.Stats(profiler)
                    stats.sort_stats("cumulative").print_stats(top)
                    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("ops", nargs="+")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.ops, args.calls, args.top, not args.no_profile))


if __name__ == "__main__":
    main()
