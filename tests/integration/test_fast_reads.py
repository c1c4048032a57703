"""GET /v1/working-memory/{id}: the fast path (api/fast_reads.py) answers as the FastAPI route.

A parameter the fast path does not know sends the request on to the FastAPI route (FastAPI
ignores unknown query parameters), so each request is sent both ways and compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from agent_memory_server.api.fast_reads import (
    _IDENTIFIER,
    _PARAMS,
    MAX_IDENTIFIER,
    _parse_query,
)
from agent_memory_server.app import create_app
from agent_memory_server.config import Settings
from tests.conftest import AppClient

ROUTE_ONLY = {"via": "route"}  # unknown to the fast path: FastAPI answers


async def both(app: AppClient, path: str, params: dict[str, Any]) -> tuple[Any, Any]:
    assert _parse_query(urlencode(params).encode()) is not None  # the fast path takes it
    assert _parse_query(urlencode({**params, **ROUTE_ONLY}).encode()) is None  # FastAPI does
    fast = await app.http.get(path, params=params)
    slow = await app.http.get(path, params={**params, **ROUTE_ONLY})
    return fast, slow


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"namespace": "books"},
        {"namespace": "books", "user_id": "ana"},
        {"user_id": "ana"},
        {"namespace": "books", "model_name": "gpt-4o-mini"},
        {"namespace": "books", "model_name": "claude-3-5-sonnet-20241022"},
        {"namespace": "books", "context_window_max": "4000", "model_name": "gpt-4o"},
        {"namespace": "books", "recent_messages_limit": "2"},
        {"namespace": "books", "recent_messages_limit": "0"},
        {"namespace": "books", "model_name": "no-such-model"},
        {"namespace": "other"},
        {"namespace": "books", "user_id": "bob"},
    ],
)
async def test_same_answer_as_the_route(
    make_settings: Callable[..., Settings], start_app: Any, params: dict[str, Any]
) -> None:
    async with start_app(make_settings()) as app:
        messages = [{"role": "user", "content": f"chapter {i} of the novel"} for i in range(5)]
        body = {"messages": messages, "context": "A reading list.", "data": {"shelf": 3}}
        put = await app.http.put(
            "/v1/working-memory/s-1", params={"namespace": "books", "user_id": "ana"}, json=body
        )
        assert put.status_code == 200, put.text

        fast, slow = await both(app, "/v1/working-memory/s-1", params)
        assert fast.status_code == slow.status_code
        fast_body, slow_body = fast.json(), slow.json()
        if fast.status_code == 200:  # each read records the access: the later one is later
            assert fast_body.pop("last_accessed") < slow_body.pop("last_accessed")
        assert fast_body == slow_body
        assert fast.headers["content-type"] == slow.headers["content-type"]


async def test_missing_session_and_bad_parameters(app: AppClient) -> None:
    fast, slow = await both(app, "/v1/working-memory/nobody", {"namespace": "x"})
    assert fast.status_code == slow.status_code == 404
    assert fast.json() == slow.json()
    assert fast.json()["detail"].startswith("Session 'nobody' not found")

    await app.http.put("/v1/working-memory/s", json={"messages": []})
    for params, name in [
        ({"context_window_max": "12"}, "context_window_max"),
        ({"context_window_max": "-5"}, "context_window_max"),
        ({"recent_messages_limit": "many"}, "recent_messages_limit"),
        ({"namespace": ""}, "namespace"),
        ({"model_name": "m" * 129}, "model_name"),
    ]:
        refused = await app.http.get("/v1/working-memory/s", params=params)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.json()["detail"][0]["loc"] == ["query", name]
    got = await app.http.get("/v1/working-memory/s?namespace=a&namespace=b")
    assert got.status_code == 404  # FastAPI decides a repeated parameter: the last one wins


async def test_window_written_and_used_the_same_way(app: AppClient) -> None:
    messages = [{"role": "user", "content": "word " * 200} for _ in range(3)]
    await app.http.put("/v1/working-memory/w", json={"messages": messages})
    sized = await app.http.get("/v1/working-memory/w", params={"context_window_max": "4000"})
    assert sized.json()["context_percentage_total_used"] > 0
    assert sized.json()["context_window_max"] == 4000  # the read sized it and stored it
    remembered = (await app.http.get("/v1/working-memory/w")).json()
    via_route = (await app.http.get("/v1/working-memory/w", params=ROUTE_ONLY)).json()
    assert remembered["context_window_max"] == via_route["context_window_max"] == 4000
    assert (
        remembered["context_percentage_total_used"]
        == via_route["context_percentage_total_used"]
        == sized.json()["context_percentage_total_used"]
    )


def test_fast_path_bounds_are_the_routes_own(make_settings: Callable[..., Settings]) -> None:
    """The fast path's parameter rules are those the route publishes in its OpenAPI schema: a
    bound changed on the route and not on the fast path fails here."""
    operation = create_app(make_settings()).openapi()["paths"]["/v1/working-memory/{session_id}"][
        "get"
    ]
    published = {}
    for parameter in operation["parameters"]:
        if parameter["in"] == "query":
            (schema,) = [s for s in parameter["schema"]["anyOf"] if s["type"] != "null"]
            published[parameter["name"]] = schema
        else:
            assert parameter["schema"]["maxLength"] == MAX_IDENTIFIER
            assert parameter["schema"]["pattern"] == _IDENTIFIER.pattern
    assert set(published) == set(_PARAMS)
    for name, (kind, low, high) in _PARAMS.items():
        schema = published[name]
        if kind == "int":
            assert (schema["type"], schema["minimum"], schema["maximum"]) == ("integer", low, high)
        elif kind == "text":
            assert (schema["type"], schema.get("minLength"), schema["maxLength"]) == (
                "string", None, high,
            )  # fmt: skip
        else:
            assert (schema["minLength"], schema["maxLength"]) == (1, MAX_IDENTIFIER)
            assert schema["pattern"] == _IDENTIFIER.pattern
