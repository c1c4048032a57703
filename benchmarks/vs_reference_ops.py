"""The requests of benchmarks/vs_reference.py: the same operation as each server takes it.

Both servers speak the same REST API for these operations (ours keeps the routes and bodies of
agent-memory-server 0.15 that agent-memory-client 0.14 sends), with one exception: appending
to a session. Ours has an append route (POST /sessions/{id}/memory); the reference has none,
and agent-memory-client 0.14's `append_messages_to_working_memory` does GET + PUT of the
whole session there, so that is what the reference side of "append" times.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from benchmarks.http_client import LeanClient
from benchmarks.search_overhead import sentence

MODEL = "gpt-4o-mini"
SESSIONS = 64
MEMORIES = 400

Request = Callable[[LeanClient, int], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    name: str
    ours: Request
    reference: Request
    requests: int  # per side and concurrency


def owner(j: int) -> tuple[str, str]:
    """Namespace and user of session or memory j: 100 users in 4 namespaces."""
    return f"ns{j % 100 % 4}", f"u{j % 100}"


async def ok(response: Awaitable[Any]) -> Any:
    answer = await response
    answer.raise_for_status()
    return answer


def messages(rng: random.Random, count: int, tag: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    return [
        {"id": f"{tag}-{m}", "role": ("user", "assistant")[m % 2], "content": sentence(rng),
         "created_at": now}
        for m in range(count)
    ]  # fmt: skip


def _params(namespace: str, user: str) -> dict[str, str]:
    return {"namespace": namespace, "user_id": user, "model_name": MODEL}


class Workload:
    """Seeds one server and builds the cases over it (the same data on both sides)."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale  # of the requests per case
        rng = random.Random(7)
        self.sessions = {
            size: [(f"s{size}-{k}", *owner(k), messages(rng, size, f"s{size}-{k}"))
                   for k in range(SESSIONS)]
            for size in (10, 100)
        }  # fmt: skip
        self.memories = [
            {"id": f"m{j}", "text": sentence(rng), "namespace": owner(j)[0], "user_id": owner(j)[1],
             "topics": [f"t{j % 7}"]}
            for j in range(MEMORIES)
        ]  # fmt: skip
        self.turns = [messages(rng, 2, f"turn{n}") for n in range(64)]

    @staticmethod
    def query(case: str, i: int) -> tuple[str, tuple[str, str]]:
        """Request i's query text and owner: distinct for every request of every case (so a
        query-vector cache in either server cannot answer from a repeat), the same on both
        sides. Sentences of 8-20 words out of 41: a repeat is vanishingly unlikely."""
        rng = random.Random(f"{case}/{i}")
        return sentence(rng), owner(rng.randrange(100))

    def n(self, requests: int) -> int:
        return max(8, round(requests * self.scale))

    async def seed(self, client: LeanClient) -> None:
        for sessions in self.sessions.values():
            for session, namespace, user, msgs in sessions:
                body = {"messages": msgs, "namespace": namespace, "user_id": user}
                params = _params(namespace, user)
                await ok(client.put(f"/v1/working-memory/{session}", json=body, params=params))
        for start in range(0, MEMORIES, 100):
            body = {"memories": self.memories[start : start + 100]}
            try:
                await ok(client.post("/v1/long-term-memory/", json=body))
            except ConnectionError as e:  # once seen under load: say which side, send again
                print(f"seed: {client.port}: {e!r}; sending again", file=sys.stderr)
                await ok(client.post("/v1/long-term-memory/", json=body))

    def get(self, size: int) -> Case:
        sessions = self.sessions[size]

        async def request(client: LeanClient, i: int) -> None:
            session, namespace, user, _ = sessions[i % SESSIONS]
            await ok(client.get(f"/v1/working-memory/{session}", params=_params(namespace, user)))

        return Case(f"GET working memory ({size} msgs)", request, request, self.n(200))

    def put(self, size: int) -> Case:
        sessions = self.sessions[size]

        async def request(client: LeanClient, i: int) -> None:  # the client sends it all back
            session, namespace, user, msgs = sessions[i % SESSIONS]
            body = {"messages": msgs, "namespace": namespace, "user_id": user}
            params = _params(namespace, user)
            await ok(client.put(f"/v1/working-memory/{session}", json=body, params=params))

        return Case(f"PUT working memory ({size} msgs)", request, request, self.n(200))

    def append(self) -> Case:
        sessions = self.sessions[10]

        async def ours(client: LeanClient, i: int) -> None:
            session, namespace, user, _ = sessions[i % SESSIONS]
            body = {"messages": self.turns[i % len(self.turns)]}
            path = f"/sessions/{session}/memory"
            await ok(client.post(path, json=body, params=_params(namespace, user)))

        async def reference(client: LeanClient, i: int) -> None:  # what its client does
            session, namespace, user, _ = sessions[i % SESSIONS]
            path, params = f"/v1/working-memory/{session}", _params(namespace, user)
            current = (await ok(client.get(path, params=params))).json()
            keep = ("id", "role", "content", "created_at")
            old = [{k: m[k] for k in keep if k in m} for m in current["messages"]]
            body = {"messages": old + self.turns[i % len(self.turns)], "namespace": namespace,
                    "user_id": user}  # fmt: skip
            await ok(client.put(path, json=body, params=params))

        return Case("append 2 msgs (ref: GET+PUT, as its client)", ours, reference, self.n(200))

    def create(self, batch: int, side: str) -> Case:
        def body(i: int, who: str) -> dict[str, Any]:
            rng = random.Random(f"{batch}-{i}")
            namespace, user = owner(i)
            return {"memories": [
                {"id": f"c{who}{batch}-{i}-{n}", "text": f"{sentence(rng)} ({batch}-{i}-{n})",
                 "namespace": namespace, "user_id": user}
                for n in range(batch)
            ]}  # fmt: skip

        async def ours(client: LeanClient, i: int) -> None:
            await ok(client.post("/v1/long-term-memory/", json=body(i, side + "o")))

        async def reference(client: LeanClient, i: int) -> None:
            await ok(client.post("/v1/long-term-memory/", json=body(i, side + "r")))

        return Case(
            f"create long-term ({batch})", ours, reference, self.n(200 if batch == 1 else 20)
        )

    def search(self, mode: str, filtered: bool) -> Case:
        label = "namespace+user" if filtered else "no filter"
        name = f"search {mode} ({label})"

        async def request(client: LeanClient, i: int) -> None:
            text, (namespace, user) = self.query(name, i)
            body: dict[str, Any] = {"text": text, "search_mode": mode, "limit": 10}
            if filtered:
                body.update(namespace={"eq": namespace}, user_id={"eq": user})
            await ok(client.post("/v1/long-term-memory/search", json=body))

        return Case(name, request, request, self.n(200))

    def prompt(self) -> Case:
        sessions = self.sessions[10]

        async def request(client: LeanClient, i: int) -> None:
            session, namespace, user, _ = sessions[i % SESSIONS]
            body = {
                "query": self.query("prompt", i)[0], "long_term_search": True,
                "session": {"session_id": session, "namespace": namespace, "user_id": user,
                            "model_name": MODEL},
            }  # fmt: skip
            await ok(client.post("/v1/memory/prompt", json=body))

        return Case("memory prompt (10-msg session + search)", request, request, self.n(200))

    def cases(self) -> list[Case]:
        return [
            self.get(10), self.get(100), self.put(10), self.put(100), self.append(),
            self.create(1, "a"), self.create(100, "a"),
            *(self.search(m, f) for m in ("semantic", "keyword", "hybrid") for f in (False, True)),
            self.prompt(),
        ]  # fmt: skip
