"""Request limits: body bytes (413), messages per request (422); refused writes store nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from fastmcp import Client

from agent_memory_server.config import Settings
from agent_memory_server.mcp.server import create_mcp_server
from tests.conftest import AppClient
from tests.support.mcp import KIND_OF_STATUS, error_of, kind

LIMIT = 4096


def _messages(count: int, size: int = 10) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"m{i} " + "x" * size} for i in range(count)]


async def _chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _assert_names_the_limit(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    for word in words:
        assert word in detail, detail


async def test_oversize_body_is_refused_with_413_and_nothing_changes(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(max_request_bytes=LIMIT)) as app:
        app: AppClient
        small = {"messages": _messages(2), "user_id": "u"}
        assert (await app.http.put("/v1/working-memory/kept", json=small)).status_code == 200

        big = {"messages": _messages(40, 200), "user_id": "u"}  # about 10 KB
        for session in ("kept", "new"):
            refused = await app.http.put(f"/v1/working-memory/{session}", json=big)
            _assert_names_the_limit(refused, 413, str(LIMIT), "MAX_REQUEST_BYTES")
            assert "bytes" in refused.json()["detail"]

        kept = (await app.http.get("/v1/working-memory/kept")).json()
        assert [m["content"] for m in kept["messages"]] == [m["content"] for m in small["messages"]]
        assert (await app.http.get("/v1/working-memory/new")).status_code == 404

        memories = {"memories": [{"text": "y" * 5000}]}
        refused = await app.http.post("/v1/long-term-memory/", json=memories)
        _assert_names_the_limit(refused, 413, str(LIMIT))
        listed = await app.http.post("/v1/long-term-memory/search", json={"text": ""})
        assert listed.json()["total"] == 0


async def test_chunked_body_without_length_is_counted_as_it_streams(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(max_request_bytes=LIMIT)) as app:
        app: AppClient
        body = httpx.Request("PUT", "/", json={"messages": _messages(40, 200)}).content
        assert len(body) > LIMIT
        refused = await app.http.put(
            "/v1/working-memory/streamed",
            content=_chunks(body),
            headers={"content-type": "application/json"},
        )
        _assert_names_the_limit(refused, 413, str(LIMIT), "MAX_REQUEST_BYTES")
        assert (await app.http.get("/v1/working-memory/streamed")).status_code == 404

        fits = httpx.Request("PUT", "/", json={"messages": _messages(3)}).content
        accepted = await app.http.put(
            "/v1/working-memory/streamed",
            content=_chunks(fits, 20),
            headers={"content-type": "application/json"},
        )
        assert accepted.status_code == 200, accepted.text
        assert len(accepted.json()["messages"]) == 3


async def test_limits_over_a_real_socket(
    serve_app: Callable[[Settings], str], make_settings: Callable[..., Settings]
) -> None:
    url = serve_app(make_settings(max_request_bytes=LIMIT))
    body = httpx.Request("PUT", "/", json={"messages": _messages(40, 200)}).content
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        with_length = await http.put(
            "/v1/working-memory/s", content=body, headers={"content-type": "application/json"}
        )
        _assert_names_the_limit(with_length, 413, str(LIMIT), "MAX_REQUEST_BYTES")
        chunked = await http.put(
            "/v1/working-memory/s",
            content=_chunks(body),
            headers={"content-type": "application/json"},
        )
        _assert_names_the_limit(chunked, 413, str(LIMIT), "MAX_REQUEST_BYTES")
        assert (await http.get("/v1/working-memory/s")).status_code == 404
        ok = await http.put("/v1/working-memory/s", json={"messages": _messages(2)})
        assert ok.status_code == 200, ok.text


async def test_too_many_messages_are_refused_with_422_and_nothing_changes(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(max_messages_per_request=5)) as app:
        app: AppClient
        first = await app.http.put("/v1/working-memory/s", json={"messages": _messages(5)})
        assert first.status_code == 200, first.text

        put = await app.http.put("/v1/working-memory/s", json={"messages": _messages(6)})
        _assert_names_the_limit(put, 422, "6 messages", "at most 5", "MAX_MESSAGES_PER_REQUEST")
        append = await app.http.post("/sessions/s/memory", json={"messages": _messages(6)})
        _assert_names_the_limit(append, 422, "6 messages", "MAX_MESSAGES_PER_REQUEST")
        fresh = await app.http.post("/sessions/other/memory", json={"messages": _messages(9)})
        assert fresh.status_code == 422

        got = (await app.http.get("/v1/working-memory/s")).json()
        assert [m["content"] for m in got["messages"]] == [m["content"] for m in _messages(5)]
        assert (await app.http.get("/v1/working-memory/other")).status_code == 404
        appended = await app.http.post("/sessions/s/memory", json={"messages": _messages(5)})
        assert appended.status_code == 200


async def test_mcp_tools_share_the_message_limit(make_settings: Callable[..., Settings]) -> None:
    server = create_mcp_server(make_settings(max_messages_per_request=5))
    async with Client(server) as client:
        message = await error_of(
            client, "set_working_memory", session_id="m", messages=_messages(6)
        )
        assert kind(message) == KIND_OF_STATUS[422]
        assert "6 messages" in message and "MAX_MESSAGES_PER_REQUEST" in message
        found = await error_of(client, "get_working_memory", session_id="m")
        assert kind(found) == KIND_OF_STATUS[404]  # nothing was stored


async def test_fixed_limits_answer_422(app: AppClient) -> None:
    """Limits that are part of the API schema: memories per request, text, search limit."""
    too_many = {"memories": [{"text": f"fact {i}"} for i in range(1001)]}
    assert (await app.http.post("/v1/long-term-memory/", json=too_many)).status_code == 422
    session = {"memories": [{"text": f"fact {i}"} for i in range(1001)]}
    assert (await app.http.put("/v1/working-memory/s", json=session)).status_code == 422
    long_text = {"memories": [{"text": "z" * 100_001}]}
    assert (await app.http.post("/v1/long-term-memory/", json=long_text)).status_code == 422
    search = await app.http.post("/v1/long-term-memory/search", json={"text": "", "limit": 101})
    assert search.status_code == 422
    assert (await app.http.get("/v1/working-memory/s")).status_code == 404
