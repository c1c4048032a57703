"""Liveness and readiness; the JSON request log of a real `agent-memory api` process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent_memory_server.config import Settings
from agent_memory_server.tasks.worker import run_worker
from tests.conftest import AppClient
from tests.support.processes import start_api


async def _ready_status(app: AppClient, wanted: int, seconds: float = 20) -> httpx.Response:
    """Ask /v1/health/ready until it answers `wanted` (a worker's heartbeat takes a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        response = await app.http.get("/v1/health/ready")
        if response.status_code == wanted or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.1)


async def test_live_and_ready_without_a_worker_then_with_one(app: AppClient) -> None:
    live = await app.http.get("/v1/health/live")
    assert live.status_code == 200 and live.json() == {"status": "alive"}

    unready = await app.http.get("/v1/health/ready")
    assert unready.status_code == 503
    body = unready.json()
    assert body["status"] == "not ready"
    assert body["checks"]["redis"] == "ok"
    assert "no live worker" in body["checks"]["worker"]
    assert app.resources.docket.name in body["checks"]["worker"]

    worker = asyncio.create_task(run_worker(app.resources, 1))
    try:
        ready = await _ready_status(app, 200)
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "checks": {"redis": "ok", "worker": "ok"}}
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    gone = await _ready_status(app, 503)  # a worker that stops removes its heartbeat
    assert gone.status_code == 503


async def test_ready_with_the_embedded_worker(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(embedded_worker=True)) as app:
        app: AppClient
        ready = await app.http.get("/v1/health/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"redis": "ok", "worker": "ok"}
        assert (await app.http.get("/v1/health")).status_code == 200  # the old routes stay
        assert (await app.http.get("/health")).status_code == 200


@pytest.fixture
def logging_server(
    redis_url: str, shared_data_dir: Path, tmp_path: Path
) -> Iterator[Callable[..., tuple[str, Callable[[], str]]]]:
    """`agent-memory api` with its stderr in a file; returns its URL and a function that stops
    the process and returns what it wrote to stderr."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(**env_overrides: str) -> tuple[str, Callable[[], str]]:
        log = tmp_path / f"stderr-{uuid.uuid4().hex[:8]}.log"
        process, url = start_api(
            redis_url, shared_data_dir, log, ready_path="/v1/health/live", **env_overrides
        )
        processes.append(process)

        def stop() -> str:
            process.terminate()
            process.wait(timeout=30)
            return log.read_text()

        return url, stop

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_json_request_log_of_a_real_server(
    logging_server: Callable[..., tuple[str, Callable[[], str]]],
) -> None:
    url, stop = logging_server(LOG_FORMAT="json", LOG_LEVEL="INFO", EMBEDDED_WORKER="false")
    with httpx.Client(base_url=url, timeout=30) as http:
        put = http.put(
            "/v1/working-memory/chat-42",
            params={"namespace": "travel", "user_id": "alice"},
            json={"messages": [{"role": "user", "content": "I live in Lisbon"}]},
            headers={"X-Request-ID": "req-from-client-1"},
        )
        assert put.status_code == 200
        assert put.headers["x-request-id"] == "req-from-client-1"
        missing = http.get("/v1/working-memory/nobody")
        assert missing.status_code == 404
        assigned = missing.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", assigned)
    stderr = stop()

    records = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    requests = [r for r in records if r["logger"] == "agent_memory_server.requests"]
    put_line = next(r for r in requests if r.get("request_id") == "req-from-client-1")
    assert put_line["method"] == "PUT"
    assert put_line["route"] == "/v1/working-memory/{session_id}"
    assert put_line["status"] == 200
    assert isinstance(put_line["latency_ms"], float) and put_line["latency_ms"] > 0
    assert put_line["namespace"] == "travel" and put_line["user_id"] == "alice"
    assert put_line["level"] == "INFO" and put_line["time"]
    get_line = next(r for r in requests if r.get("request_id") == assigned)
    assert (get_line["method"], get_line["status"]) == ("GET", 404)
    assert get_line["route"] == "/v1/working-memory/{session_id}"
    assert "namespace" not in get_line
    assert "chat-42" not in json.dumps(requests)  # the template, never the raw path
    # one line per request: uvicorn's access log is off, its own records are JSON too
    assert not [r for r in records if r["logger"] == "uvicorn.access"]
    assert len([r for r in requests if r.get("request_id") == "req-from-client-1"]) == 1
    assert any(r["logger"] == "uvicorn.error" for r in records)


def test_text_log_is_the_default(
    logging_server: Callable[..., tuple[str, Callable[[], str]]],
) -> None:
    url, stop = logging_server(LOG_LEVEL="INFO", EMBEDDED_WORKER="false")
    with httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/v1/health", headers={"X-Request-ID": "txt-1"}).status_code == 200
    lines = stop().splitlines()
    request_lines = [line for line in lines if "agent_memory_server.requests" in line]
    assert any("GET /v1/health 200" in line for line in request_lines), request_lines
    assert not any(line.lstrip().startswith("{") for line in lines)
