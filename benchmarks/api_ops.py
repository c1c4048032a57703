"""The operations of benchmarks/api_load.py: each one over HTTP and at its physical floor.

An operation is a pair of coroutines taking a request number: `http(i)` sends the request a
client would send to the running server; `floor(i)` issues, from the benchmark process with
redis-py (asyncio, hiredis), the raw Redis command(s) the operation cannot do without, plus
the embedding by the same local model where the operation embeds text. The floor writes to
keys of its own (namespace `bench-floor`) under the same indexes, so Redis indexes them as it
indexes the server's writes.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
from redis.asyncio import Redis

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from agent_memory_server.storage.filters import query_terms, text_query_string
from agent_memory_server.storage.keys import Keys
from agent_memory_server.storage.record_hash import to_hash
from benchmarks.http_client import LeanClient, Response
from benchmarks.search_overhead import HYBRID_DEPTH, sentence

FLOOR_NS = "bench-floor"
MODEL = "gpt-4o-mini"
SESSIONS = 32  # sessions per kind; requests cycle through them


@dataclass(frozen=True)
class Op:
    name: str
    http: Callable[[int], Awaitable[None]]
    floor: Callable[[int], Awaitable[None]]
    requests: int  # per side at concurrency 1 (more rounds at higher concurrency)
    prepare: Callable[[int], None] | None = None  # untimed set-up of request i


def owner(j: int, namespaces: int) -> tuple[str, str]:
    """Namespace and user of record or session j: user u{j % 100} lives in one namespace."""
    user = j % 100
    return f"ns{user % namespaces}", f"u{user}"


def message(rng: random.Random, role: str) -> dict[str, Any]:
    return {"role": role, "content": sentence(rng)}


class Ops:
    """Builds the operations over one server, one Redis and one embedder."""

    def __init__(
        self, http: LeanClient, redis: Redis, embedder: MiniLMEmbedder, prefix: str,
        namespaces: int, reference: httpx.AsyncClient,
    ) -> None:  # fmt: skip
        self.http = http
        self.reference = reference  # httpx, for one row: what a common client library adds
        self.redis = redis
        self.json = redis.json()  # one command object: redis-py builds one per .json() call
        self.embedder = embedder
        self.keys = Keys(prefix)
        self.index = self.keys.long_term_index
        self.namespaces = namespaces
        self.rng = random.Random(11)

    async def _ok(self, response: Awaitable[httpx.Response | Response]) -> None:
        (await response).raise_for_status()

    async def _embed(self, texts: list[str]) -> bytes:
        vectors = await asyncio.to_thread(self.embedder.embed_sync, texts)
        return vectors.astype(np.float32).tobytes()

    async def setup_sessions(self, kind: str, size: int) -> list[tuple[str, str, str]]:
        """SESSIONS sessions of `size` messages over HTTP, and their floor twins.

        Returns (session id, namespace, user) of each.
        """
        made = []
        for k in range(SESSIONS):
            namespace, user = owner(k, self.namespaces)
            session = f"{kind}{size}-{k}"
            turns = [message(self.rng, ("user", "assistant")[m % 2]) for m in range(size)]
            body = {"messages": turns}
            response = await self.http.put(
                f"/v1/working-memory/{session}",
                json=body, params={"namespace": namespace, "user_id": user, "model_name": MODEL},
            )  # fmt: skip
            response.raise_for_status()
            doc = await self.json.get(self.keys.working_memory(namespace, session))
            doc.update(session_id=session, namespace=FLOOR_NS)
            await self.json.set(self.keys.working_memory(FLOOR_NS, session), "$", doc)
            made.append((session, namespace, user))
        return made

    def health(self) -> Op:
        """The emptiest request (no Redis) beside the emptiest Redis command: what every
        operation pays for HTTP (client, uvicorn, FastAPI) against one Redis round trip."""

        async def http(i: int) -> None:
            await self._ok(self.http.get("/v1/health"))

        async def floor(i: int) -> None:
            await self.redis.ping()

        return Op("reference: GET /v1/health vs PING", http, floor, 300)

    def get_working_memory(
        self, sessions: list[tuple[str, str, str]], size: int, with_httpx: bool = False
    ) -> Op:
        client = self.reference if with_httpx else self.http

        async def http(i: int) -> None:
            session, namespace, user = sessions[i % len(sessions)]
            params = {"namespace": namespace, "user_id": user, "model_name": MODEL}
            await self._ok(client.get(f"/v1/working-memory/{session}", params=params))

        async def floor(i: int) -> None:
            session = sessions[i % len(sessions)][0]
            await self.json.get(self.keys.working_memory(FLOOR_NS, session))

        name = f"GET working memory ({size} msgs)"
        return Op(f"reference: {name} with httpx" if with_httpx else name, http, floor, 300)

    async def put_working_memory(self, size: int) -> Op:
        sessions = await self.setup_sessions("put", size)
        keys = [self.keys.working_memory(FLOOR_NS, s) for s, _, _ in sessions]
        floor_docs = [await self.json.get(key) for key in keys]
        bodies = []
        for session, namespace, user in sessions:  # what a client sends back: the full session
            doc = await self.json.get(self.keys.working_memory(namespace, session))
            fields = ("role", "content", "id", "created_at")
            messages = [{k: m[k] for k in fields} for m in doc["messages"]]
            bodies.append({"messages": messages, "namespace": namespace, "user_id": user})

        async def http(i: int) -> None:
            session, namespace, user = sessions[i % len(sessions)]
            params = {"namespace": namespace, "user_id": user, "model_name": MODEL}
            body = bodies[i % len(sessions)]
            await self._ok(self.http.put(f"/v1/working-memory/{session}", json=body, params=params))

        async def floor(i: int) -> None:
            session = sessions[i % len(sessions)][0]
            doc = floor_docs[i % len(sessions)]
            await self.json.set(self.keys.working_memory(FLOOR_NS, session), "$", doc)

        return Op(f"PUT working memory ({size} msgs)", http, floor, 200 if size > 10 else 300)

    async def append(self) -> Op:
        """POST /sessions/{id}/memory (the append route) of one turn: two messages."""
        sessions = await self.setup_sessions("append", 10)
        turns = [[message(self.rng, "user"), message(self.rng, "assistant")] for _ in range(64)]
        stored = [  # the floor appends the messages as the server stores them
            [{**m, "id": f"m{n}-{r}", "created_at": "2026-01-01T00:00:00Z", "persisted_at": None,
              "discrete_memory_extracted": "f"} for r, m in enumerate(turn)]
            for n, turn in enumerate(turns)
        ]  # fmt: skip

        async def http(i: int) -> None:
            session, namespace, user = sessions[i % len(sessions)]
            params = {"namespace": namespace, "user_id": user, "model_name": MODEL}
            body = {"messages": turns[i % len(turns)]}
            await self._ok(self.http.post(f"/sessions/{session}/memory", json=body, params=params))

        async def floor(i: int) -> None:
            key = self.keys.working_memory(FLOOR_NS, sessions[i % len(sessions)][0])
            now = time.time()
            async with self.redis.pipeline(transaction=True) as pipe:
                doc = pipe.json()
                doc.arrappend(key, "$.messages", *stored[i % len(stored)])
                doc.numincrby(key, "$.tokens", 50)
                doc.set(key, "$.updated_ts", now)
                doc.set(key, "$.updated_at", "2026-01-01T00:00:00+00:00")
                doc.set(key, "$.last_accessed", "2026-01-01T00:00:00+00:00")
                await pipe.execute()

        return Op("append 2 messages (POST /sessions/{id}/memory)", http, floor, 300)

    def create(self, batch: int) -> Op:
        bodies: dict[int, Any] = {}
        rows: dict[int, list[dict[str, Any]]] = {}

        def prepare(i: int) -> None:
            rng = random.Random(f"{batch}-{i}")  # unique texts: nothing is deduplicated
            words = [f"{sentence(rng)} ({batch}-{i}-{n})" for n in range(batch)]
            namespace, user = owner(i, self.namespaces)
            memories = [{"text": t, "namespace": namespace, "user_id": user} for t in words]
            bodies[i] = {"memories": memories}
            rows[i] = [  # floor records: another namespace, the vector filled in when timed
                to_hash(MemoryRecord(text=f"{t}.", namespace=FLOOR_NS, user_id=user), np.zeros(1))
                for t in words
            ]

        async def http(i: int) -> None:
            await self._ok(self.http.post("/v1/long-term-memory/", json=bodies.pop(i)))

        async def floor(i: int) -> None:
            hashes = rows.pop(i)
            texts = [row["text"] for row in hashes]
            vectors = await asyncio.to_thread(self.embedder.embed_sync, texts)
            async with self.redis.pipeline(transaction=False) as pipe:
                for row, vector in zip(hashes, vectors, strict=True):
                    row["vector"] = vector.astype(np.float32).tobytes()
                    pipe.hset(self.keys.long_term(row["memory_id"]), mapping=row)
                await pipe.execute()

        requests = 100 if batch == 1 else 10
        return Op(f"create long-term, batch {batch}", http, floor, requests, prepare)

    def search(self, mode: str, filtered: bool) -> Op:
        def asked(i: int) -> tuple[str, tuple[str, str]]:
            # A text of its own per request: the server's query vector cache never hits.
            rng = random.Random(f"q{mode}{filtered}/{i}")
            return sentence(rng), owner(rng.randrange(100), self.namespaces)

        async def http(i: int) -> None:
            text, (namespace, user) = asked(i)
            body: dict[str, Any] = {"text": text, "search_mode": mode, "limit": 10}
            if filtered:
                body.update(namespace={"eq": namespace}, user_id={"eq": user})
            await self._ok(self.http.post("/v1/long-term-memory/search", json=body))

        async def floor(i: int) -> None:
            text, (namespace, user) = asked(i)
            where = f"(@namespace:{{{namespace}}} @user_id:{{{user}}})" if filtered else "*"
            depth = str(HYBRID_DEPTH if mode == "hybrid" else 10)
            if mode != "keyword":
                await self._knn(await self._embed([text]), where, depth)
            if mode != "semantic":
                terms = text_query_string("text", query_terms(text))
                query = f"({terms}) {where}" if filtered else terms
                await self.redis.execute_command(
                    "FT.SEARCH", self.index, query, "SCORER", "BM25STD", "WITHSCORES",
                    "LIMIT", "0", depth, "DIALECT", "2",
                )  # fmt: skip

        label = "namespace + user filter" if filtered else "no filter"
        return Op(f"search {mode}, {label}", http, floor, 200)

    def _knn(self, vector: bytes, where: str, depth: str, pipe: Any = None) -> Any:
        return (pipe or self.redis).execute_command(
            "FT.SEARCH", self.index, f"{where}=>[KNN {depth} @vector $v AS d]",
            "PARAMS", "2", "v", vector, "SORTBY", "d", "LIMIT", "0", depth, "DIALECT", "2",
        )  # fmt: skip

    def prompt(self, sessions: list[tuple[str, str, str]]) -> Op:
        def query(i: int) -> str:  # a text of its own per request, as in `search`
            return sentence(random.Random(f"prompt/{i}"))

        async def http(i: int) -> None:
            session, namespace, user = sessions[i % len(sessions)]
            body = {
                "query": query(i), "long_term_search": True,
                "session": {"session_id": session, "namespace": namespace, "user_id": user,
                            "model_name": MODEL},
            }  # fmt: skip
            await self._ok(self.http.post("/v1/memory/prompt", json=body))

        async def floor(i: int) -> None:
            session, namespace, user = sessions[i % len(sessions)]
            vector = await self._embed([query(i)])
            async with self.redis.pipeline(transaction=False) as pipe:
                self._knn(vector, f"(@namespace:{{{namespace}}} @user_id:{{{user}}})", "10", pipe)
                pipe.json().get(self.keys.working_memory(FLOOR_NS, session))
                await pipe.execute()

        return Op("memory prompt (10-msg session + search)", http, floor, 200)
