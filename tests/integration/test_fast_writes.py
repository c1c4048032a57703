"""The JSON-body routes' fast path (api/fast_writes.py) answers as the FastAPI routes.

A query parameter the fast path does not know sends the request on to the FastAPI route
(FastAPI ignores unknown query parameters), so each request is sent both ways and compared.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from agent_memory_server.api.fast_writes import JsonWrites
from tests.conftest import AppClient

ROUTE_ONLY = {"via": "route"}  # unknown to the fast path: FastAPI answers
VOLATILE = {"last_accessed", "updated_at", "created_at", "access_count", "id", "persisted_at"}


def fast_path_takes(app: AppClient, method: str, path: str, params: dict[str, Any]) -> bool:
    writes = JsonWrites(app.app)
    scope = {"method": method, "path": path, "query_string": urlencode(params).encode()}
    return writes._match(scope) is not None


async def both(
    app: AppClient, method: str, path: str, params: dict[str, Any], body: Any
) -> tuple[httpx.Response, httpx.Response]:
    assert fast_path_takes(app, method, path, params)
    assert not fast_path_takes(app, method, path, {**params, **ROUTE_ONLY})
    fast = await app.http.request(method, path, params=params, json=body)
    slow = await app.http.request(method, path, params={**params, **ROUTE_ONLY}, json=body)
    return fast, slow


def stable(value: Any) -> Any:
    """The answer without what differs between two calls (times, generated ids)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def same(fast: httpx.Response, slow: httpx.Response) -> None:
    assert fast.status_code == slow.status_code, (fast.text, slow.text)
    assert stable(fast.json()) == stable(slow.json())
    assert fast.headers["content-type"] == slow.headers["content-type"]


MESSAGES = [{"role": ("user", "assistant")[i % 2], "content": f"turn {i} about the cello"}
            for i in range(4)]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"namespace": "books", "user_id": "ana"}, {"messages": MESSAGES}),
        (
            {"namespace": "books", "model_name": "gpt-4o-mini"},
            {"messages": MESSAGES, "context": "Earlier: tea."},
        ),
        ({"context_window_max": "4000"}, {"messages": MESSAGES, "data": {"shelf": 3}}),
        ({"namespace": "books"}, {"messages": MESSAGES, "session_id": "another"}),  # 400
        ({"namespace": "books", "user_id": "bob"}, {"messages": MESSAGES, "user_id": "ana"}),
        ({"model_name": "no-such-model"}, {"messages": MESSAGES}),
        ({}, {"messages": [{"role": "", "content": "x"}]}),  # 422, from FastAPI both ways
        ({}, {"messages": "none"}),
        ({}, [1, 2]),
    ],
)
async def test_put_session(app: AppClient, params: dict[str, Any], body: Any) -> None:
    # Two sessions alike (the second PUT of one would replace, not create, it).
    path, other = "/v1/working-memory/s-fast", "/v1/working-memory/s-slow"
    assert fast_path_takes(app, "PUT", path, params)
    fast = await app.http.put(path, params=params, json=body)
    slow = await app.http.put(other, params={**params, **ROUTE_ONLY}, json=body)
    assert fast.status_code == slow.status_code, (fast.text, slow.text)
    assert fast.headers["content-type"] == slow.headers["content-type"]
    if fast.status_code == 200:
        fast_body, slow_body = stable(fast.json()), stable(slow.json())
        assert (fast_body.pop("session_id"), slow_body.pop("session_id")) == ("s-fast", "s-slow")
        assert fast_body == slow_body
    else:
        assert fast.text.replace("s-fast", "S") == slow.text.replace("s-slow", "S")


async def test_put_of_another_users_session(app: AppClient) -> None:
    owned = {"messages": MESSAGES, "user_id": "ana"}
    assert (await app.http.put("/v1/working-memory/mine", json=owned)).status_code == 200
    fast, slow = await both(app, "PUT", "/v1/working-memory/mine", {"user_id": "bob"},
                            {"messages": MESSAGES})  # fmt: skip
    assert fast.status_code == 409
    same(fast, slow)


async def test_append(app: AppClient) -> None:
    params = {"namespace": "books", "user_id": "ana"}
    turn = {"messages": MESSAGES[:2]}
    fast, slow = await both(app, "POST", "/sessions/s-append/memory", params, turn)
    same(fast, slow)
    stored = (await app.http.get("/v1/working-memory/s-append", params=params)).json()
    assert [m["content"] for m in stored["messages"]] == [m["content"] for m in MESSAGES[:2]] * 2
    refused, refused_slow = await both(
        app, "POST", "/sessions/s-append/memory", {"user_id": "bob", "namespace": "books"}, turn
    )
    assert refused.status_code == 409
    same(refused, refused_slow)
    invalid, invalid_slow = await both(app, "POST", "/sessions/s-append/memory", {}, {"x": 1})
    same(invalid, invalid_slow)


async def test_create_search_and_prompt(app: AppClient) -> None:
    memories = [
        {"text": f"Ana plays the cello on {day}", "namespace": "music", "user_id": "ana"}
        for day in ("Monday", "Tuesday", "Friday")
    ]
    fast, slow = await both(app, "POST", "/v1/long-term-memory/", {}, {"memories": memories})
    same(fast, slow)
    assert fast.json() == {"status": "ok"}
    for mode in ("keyword", "semantic", "hybrid"):
        query = {"text": "cello", "search_mode": mode, "namespace": {"eq": "music"}, "limit": 4}
        for params in ({}, {"optimize_query": "false"}, {"optimize_query": "True"}):
            fast, slow = await both(app, "POST", "/v1/long-term-memory/search", params, query)
            same(fast, slow)
            assert len(fast.json()["memories"]) >= 3
    prompt = {
        "query": "When does Ana play?",
        "long_term_search": {"text": "cello", "namespace": {"eq": "music"}},
    }
    for params in ({}, {"token_counts": "true"}, {"token_counts": "0", "optimize_query": "1"}):
        fast, slow = await both(app, "POST", "/v1/memory/prompt", params, prompt)
        same(fast, slow)
        assert "cello" in fast.text
    bad = {"text": "cello", "search_mode": "psychic"}
    fast, slow = await both(app, "POST", "/v1/long-term-memory/search", {}, bad)
    assert fast.status_code == 422
    same(fast, slow)


async def test_bodies_the_fast_path_leaves_to_fastapi(app: AppClient) -> None:
    """Another content type, a body that is not JSON or one the strict decoder refuses: the
    route answers, as it would without the fast path."""
    path = "/v1/long-term-memory/search"
    for content, kind in [
        (b'{"text": "cello"}', "text/plain"),
        (b'{"text": "cello"', "application/json"),
        (b'{"text": "cello", "limit": NaN}', "application/json"),
        (b"", "application/json"),
    ]:
        headers = {"content-type": kind}
        fast = await app.http.post(path, content=content, headers=headers)
        slow = await app.http.post(path, content=content, headers=headers, params=ROUTE_ONLY)
        assert fast.status_code == slow.status_code == 422, fast.text
        assert fast.json() == slow.json()
    charset = {"content-type": "application/json; charset=utf-8"}
    answered = await app.http.post(path, content=b'{"text": "cello"}', headers=charset)
    assert answered.status_code == 200, answered.text
    repeated = await app.http.post(path, params=[("optimize_query", "1")] * 2, json={"text": "x"})
    assert repeated.status_code == 200  # FastAPI decides a repeated parameter
