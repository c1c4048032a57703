"""GET /metrics: requests by route template, embedding and LLM calls, background task runs."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from agent_memory_server.config import Settings
from agent_memory_server.tasks.worker import drain
from tests.conftest import AppClient
from tests.support.hermetic import CHILD_CWD, free_port
from tests.support.llm_stub import LLMStub
from tests.support.processes import process_env

SESSION_ROUTE = "/v1/working-memory/{session_id}"


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the one sample `name` with exactly these labels (None: absent)."""
    found = [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and s.labels == labels
    ]
    assert len(found) <= 1
    return found[0] if found else None


async def scrape(app: AppClient) -> str:
    response = await app.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def _conversation(turns: int) -> list[dict[str, str]]:
    return [
        {"role": "user", "content": f"Turn {i}: my cat Tom is {i} years old and likes tuna."}
        for i in range(turns)
    ]


async def test_requests_are_counted_and_timed_by_route_template(app: AppClient) -> None:
    for _ in range(2):
        put = await app.http.put("/v1/working-memory/alpha-123", json={"messages": []})
        assert put.status_code == 200
    assert (await app.http.get("/v1/working-memory/alpha-123")).status_code == 200
    assert (await app.http.get("/v1/working-memory/missing-9")).status_code == 404
    assert (await app.http.get("/no/such/route")).status_code == 404

    text = await scrape(app)
    duration = "agent_memory_http_request_duration_seconds"
    put_labels = {"method": "PUT", "route": SESSION_ROUTE, "status_class": "2xx"}
    assert sample(text, f"{duration}_count", **put_labels) == 2
    assert sample(text, f"{duration}_bucket", **put_labels, le="+Inf") == 2
    assert (sample(text, f"{duration}_sum", **put_labels) or 0) > 0
    get_labels = {"method": "GET", "route": SESSION_ROUTE}
    assert sample(text, "agent_memory_http_requests_total", **get_labels, status="200") == 1
    assert sample(text, "agent_memory_http_requests_total", **get_labels, status="404") == 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert sample(text, "agent_memory_http_requests_total", **unmatched) == 1
    assert "alpha-123" not in text and "missing-9" not in text  # templates, not raw paths


async def test_mcp_requests_are_labelled_by_template(app: AppClient) -> None:
    for path in ("/mcp", "/travel/mcp"):
        response = await app.http.post(path, json={})
        assert 400 <= response.status_code < 500, response.text
    text = await scrape(app)
    routes = {
        s.labels["route"]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "agent_memory_http_requests_total"
    }
    assert {"/mcp", "/{namespace}/mcp"} <= routes
    assert not [route for route in routes if "travel" in route]


async def test_embedding_calls_are_timed_after_a_long_term_write(app: AppClient) -> None:
    before = await scrape(app)
    texts = sample(before, "agent_memory_embedded_texts_total", provider="local") or 0
    calls = sample(before, "agent_memory_embedding_duration_seconds_count", provider="local") or 0
    memories = [{"text": f"Fact number {i} about the garden."} for i in range(3)]
    created = await app.http.post("/v1/long-term-memory/", json={"memories": memories})
    assert created.status_code == 200

    after = await scrape(app)
    assert sample(after, "agent_memory_embedded_texts_total", provider="local") == texts + 3
    count = sample(after, "agent_memory_embedding_duration_seconds_count", provider="local")
    assert count == calls + 1
    assert (sample(after, "agent_memory_embedding_duration_seconds_sum", provider="local") or 0) > 0


async def test_llm_tokens_and_task_runs_after_a_summarization(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub
) -> None:
    llm_stub.state.fail_next = 1  # the first attempt fails and is retried
    settings = make_settings(
        llm_provider="openai", openai_base_url=llm_stub.base_url, extraction=False
    )
    async with start_app(settings) as app:
        app: AppClient
        put = await app.http.put(
            "/v1/working-memory/long",
            # The carried memory gives the session's processing run work (a session with
            # nothing to promote, index or extract queues none).
            json={
                "messages": _conversation(150),
                "memories": [{"id": "carried", "text": "Sam's train leaves at 7."}],
            },
            params={"context_window_max": 1000},
        )
        assert put.status_code == 200
        await drain(app.resources)
        assert (await app.http.get("/v1/working-memory/long")).json()["context"]
        text = await scrape(app)

    answered = llm_stub.chat_requests()[1:]  # the stub reports usage for answered calls
    assert answered
    prompt_tokens = sum(len(r["body"]["messages"][-1]["content"].split()) for r in answered)
    model = {"provider": "openai", "model": settings.generation_model}
    tokens = "agent_memory_llm_tokens_total"
    assert sample(text, tokens, **model, type="prompt") == prompt_tokens
    assert sample(text, tokens, **model, type="completion") == 5 * len(answered)
    calls = "agent_memory_llm_request_duration_seconds_count"
    assert sample(text, calls, **model, outcome="ok") == len(answered)
    assert sample(text, calls, **model, outcome="error") == 1

    task = {"task": "summarize_working_memory"}
    assert sample(text, "agent_memory_task_runs_total", **task, outcome="failure") == 1
    assert sample(text, "agent_memory_task_runs_total", **task, outcome="success") == 1
    seconds = "agent_memory_task_duration_seconds_count"
    assert sample(text, seconds, **task, outcome="success") == 1
    process = {"task": "process_session", "outcome": "success"}
    assert sample(text, "agent_memory_task_runs_total", **process) == 1


async def test_separate_worker_serves_its_metrics(
    make_settings: Callable[..., Settings], start_app: Any, shared_data_dir: Path
) -> None:
    """`agent-memory task-worker --metrics-port N`: the worker process's own task counts."""
    settings = make_settings()
    port = free_port()
    env = process_env(
        settings, shared_data_dir, LOG_LEVEL="WARNING", COMPACTION_INTERVAL_MINUTES="0"
    )
    async with start_app(settings) as app:
        app: AppClient
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "agent_memory_server", "task-worker", "--concurrency", "1",
            "--metrics-port", str(port), cwd=CHILD_CWD, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            put = await app.http.put(
                "/v1/working-memory/w",
                json={"messages": _conversation(150)},
                params={"context_window_max": 1000},
            )
            assert put.status_code == 200
            runs: float | None = None
            deadline = time.monotonic() + 90
            async with httpx.AsyncClient(timeout=5) as http:
                while time.monotonic() < deadline:
                    try:
                        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                    except httpx.TransportError:  # not listening yet
                        text = ""
                    labels = {"task": "summarize_working_memory", "outcome": "success"}
                    runs = sample(text, "agent_memory_task_runs_total", **labels) if text else None
                    if runs:
                        break
                    await asyncio.sleep(0.2)
            assert runs == 1, "the worker's metrics never showed the summarization"
            assert (await app.http.get("/v1/working-memory/w")).json()["context"]
        finally:
            worker.terminate()
            await asyncio.wait_for(worker.wait(), timeout=30)
