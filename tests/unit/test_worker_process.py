"""What the server hands its worker process, and the one /metrics made of both processes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from agent_memory_server.config import Settings
from agent_memory_server.metrics import Metrics
from agent_memory_server.tasks.worker_process import confine_to_cores, settings_line
from tests.support.hermetic import TestSettings


def test_the_child_gets_the_parents_settings_secrets_included_on_the_parents_redis(
    tmp_path: Path,
) -> None:
    parent = TestSettings(
        data_dir=tmp_path, key_prefix="kp", openai_api_key="sk-secret", llm_provider="openai",
        worker_concurrency=7, redact_patterns=[r"\d{4}"], host="0.0.0.0",
    )  # fmt: skip
    line = settings_line(parent, "redis://127.0.0.1:6399/0")
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    child = TestSettings(**json.loads(line))
    assert child.redis_url == "redis://127.0.0.1:6399/0"  # joins the parent's Redis
    assert child.openai_api_key is not None
    assert child.openai_api_key.get_secret_value() == "sk-secret"
    assert child.host == "127.0.0.1"  # its metrics port is for the parent only
    same = {"redis_url", "host", "openai_api_key"}
    for name in Settings.model_fields:
        if name not in same:
            assert getattr(child, name) == getattr(parent, name), name


def _values(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
        if not s.name.endswith("_created")
    }


def test_the_servers_metrics_add_its_worker_process_metrics() -> None:
    server, worker = Metrics(), Metrics()
    server.observe_request("GET", "/v1/health", 200, 0.01)
    server.observe_task("process_session", "success", 0.2)
    worker.observe_task("process_session", "success", 0.3)
    worker.observe_task("process_session", "failure", 2.0)
    worker.observe_embedding("local", 5, 0.05)
    merged = _values(server.render(worker.render()))
    runs = "agent_memory_task_runs_total"
    assert merged[(runs, (("outcome", "success"), ("task", "process_session")))] == 2
    assert merged[(runs, (("outcome", "failure"), ("task", "process_session")))] == 1
    duration = "agent_memory_task_duration_seconds_sum"
    assert merged[(duration, (("outcome", "success"), ("task", "process_session")))] == 0.5
    requests = "agent_memory_http_requests_total"
    assert merged[(requests, (("method", "GET"), ("route", "/v1/health"), ("status", "200")))] == 1
    assert merged[("agent_memory_embedded_texts_total", (("provider", "local"),))] == 5
    assert _values(server.render(b"")) == _values(server.render())


def test_a_worker_is_not_confined_to_as_many_cores_as_it_has_or_to_none() -> None:
    allowed = len(os.sched_getaffinity(0))
    assert confine_to_cores(0) is None
    assert confine_to_cores(allowed) is None
    assert confine_to_cores(allowed + 1) is None
    assert len(os.sched_getaffinity(0)) == allowed  # this process was left as it was
