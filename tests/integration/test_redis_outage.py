"""Redis goes away under a running API and comes back: 503s that say so, then service again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from agent_memory_server.config import Settings
from agent_memory_server.mcp.errors import to_tool_error
from agent_memory_server.storage.embedded import EmbeddedRedis


async def test_outage_answers_503_and_service_resumes(
    tmp_path: Path, make_settings: Callable[..., Settings], start_app: Any
) -> None:
    server = EmbeddedRedis(tmp_path)
    url = server.start()
    port = server.port
    try:
        async with start_app(make_settings(redis_url=url)) as app:
            session = {"messages": [{"role": "user", "content": "I keep bees."}]}
            put = await app.http.put("/v1/working-memory/s1", json=session)
            assert put.status_code == 200, put.text
            memory = {"memories": [{"id": "m1", "text": "Dana keeps bees on the roof."}]}
            assert (await app.http.post("/v1/long-term-memory/", json=memory)).status_code == 200

            server.stop()
            requests = [
                ("GET", "/v1/working-memory/s1", None),  # the fast path
                ("GET", "/v1/working-memory/s1?via=route", None),  # the FastAPI route
                ("PUT", "/v1/working-memory/s1", session),
                ("POST", "/v1/long-term-memory/search", {"text": "bees", "search_mode": "keyword"}),
                ("POST", "/v1/long-term-memory/", memory),
            ]
            for method, path, body in requests:
                response = await app.http.request(method, path, json=body)
                assert response.status_code == 503, (path, response.text)
                assert response.json()["detail"].startswith("Redis is unreachable"), path
                assert response.headers["retry-after"] == "5"
            ready = await app.http.get("/v1/health/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"]["redis"].startswith(("unreachable", "no answer"))
            assert (await app.http.get("/v1/health/live")).status_code == 200

            server = EmbeddedRedis(tmp_path, port=port or 0)  # same data directory: AOF replayed
            server.start()
            got = await app.http.get("/v1/working-memory/s1")
            assert got.status_code == 200, got.text
            assert [m["content"] for m in got.json()["messages"]] == ["I keep bees."]
            found = await app.http.post(
                "/v1/long-term-memory/search", json={"text": "bees", "search_mode": "keyword"}
            )
            assert [m["id"] for m in found.json()["memories"]] == ["m1"]
    finally:
        server.stop()


def test_mcp_tools_report_an_outage_as_unavailable() -> None:
    error = to_tool_error(redis.ConnectionError("Connection refused"), "get_working_memory")
    assert str(error).startswith("Unavailable: Redis is unreachable")
    assert "Retry in a few seconds" in str(error)
