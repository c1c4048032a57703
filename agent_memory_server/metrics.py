"""Prometheus metrics of one app or worker process, in a registry of their own.

Each `Metrics` holds its own `CollectorRegistry`: several apps in one process (the tests) never
share or collide on a metric, and nothing is registered at import time. `create_app` builds
one per app and hands it to `open_resources`; the CLI's commands get one from `open_resources`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Metric, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST, start_http_server
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

PREFIX = "agent_memory"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds. Requests: cached reads take ~1 ms, searches ~10-30 ms, writes that embed ~100 ms.
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# Background tasks and model calls: from milliseconds (local) to minutes (remote LLMs).
SLOW_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    """Every metric the server exports; one instance per app or worker process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            f"{PREFIX}_http_requests", "HTTP requests answered, by route template and status.",
            ["method", "route", "status"], registry=r,
        )  # fmt: skip
        self.http_duration = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response.",
            ["method", "route", "status_class"], buckets=REQUEST_BUCKETS, registry=r,
        )  # fmt: skip
        self.task_runs = Counter(
            f"{PREFIX}_task_runs", "Background task runs (each attempt), by task and outcome.",
            ["task", "outcome"], registry=r,
        )  # fmt: skip
        self.task_duration = Histogram(
            f"{PREFIX}_task_duration_seconds", "Duration of a background task run.",
            ["task", "outcome"], buckets=SLOW_BUCKETS, registry=r,
        )  # fmt: skip
        self.embedding_duration = Histogram(
            f"{PREFIX}_embedding_duration_seconds", "Duration of one embedding call (a batch).",
            ["provider"], buckets=SLOW_BUCKETS, registry=r,
        )  # fmt: skip
        self.embedded_texts = Counter(
            f"{PREFIX}_embedded_texts", "Texts embedded.", ["provider"], registry=r
        )
        self.query_vectors = Counter(
            f"{PREFIX}_query_vectors",
            "Search query vectors: from the cache (QUERY_EMBEDDING_CACHE) or embedded.",
            ["source"], registry=r,
        )  # fmt: skip
        self.llm_duration = Histogram(
            f"{PREFIX}_llm_request_duration_seconds", "Duration of one chat LLM call.",
            ["provider", "model", "outcome"], buckets=SLOW_BUCKETS, registry=r,
        )  # fmt: skip
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.llm_tokens = Counter(
            f"{PREFIX}_llm_tokens", "Tokens of chat LLM calls as the provider reported them.",
            ["provider", "model", "type"], registry=r,
        )  # fmt: skip

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        # The labelled children, looked up once per (method, route template, status): a
        # `labels()` call costs more than the sample itself (about 10 us of every request).
        children = self._request_children.get((method, route, status))
        if children is None:
            children = self._request_children[method, route, status] = (
                self.http_requests.labels(method, route, str(status)),
                self.http_duration.labels(method, route, f"{status // 100}xx"),
            )
        children[0].inc()
        children[1].observe(seconds)

    def observe_task(self, task: str, outcome: str, seconds: float) -> None:
        self.task_runs.labels(task, outcome).inc()
        self.task_duration.labels(task, outcome).observe(seconds)

    def observe_embedding(self, provider: str, texts: int, seconds: float) -> None:
        self.embedding_duration.labels(provider).observe(seconds)
        self.embedded_texts.labels(provider).inc(texts)

    def observe_query_vector(self, cached: bool) -> None:
        self.query_vectors.labels("cache" if cached else "embedded").inc()

    def observe_llm(
        self, provider: str, model: str, outcome: str, seconds: float,
        prompt_tokens: int = 0, completion_tokens: int = 0,
    ) -> None:  # fmt: skip
        self.llm_duration.labels(provider, model, outcome).observe(seconds)
        if prompt_tokens:
            self.llm_tokens.labels(provider, model, "prompt").inc(prompt_tokens)
        if completion_tokens:
            self.llm_tokens.labels(provider, model, "completion").inc(completion_tokens)

    def render(self, other: bytes = b"") -> bytes:
        """The registry in Prometheus' text exposition format; with `other` (the exposition of
        another process's Metrics: the embedded worker's), the two summed sample by sample."""
        if not other:
            return generate_latest(self.registry)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Summed(self.registry, other.decode()))
        return generate_latest(registry)


class _Summed(Collector):
    """Our families with another process's samples added (every metric here is a counter or a
    histogram, so sums are exact); `_created` timestamps stay ours."""

    def __init__(self, own: CollectorRegistry, other: str) -> None:
        self.own = own
        self.other = {f.name: f for f in text_string_to_metric_families(other)}

    def collect(self) -> Iterator[Metric]:
        for family in self.own.collect():
            extra = self.other.get(family.name)
            if extra is None:
                yield family
                continue
            sums: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
            for sample in [*family.samples, *extra.samples]:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                if key in sums and sample.name.endswith("_created"):
                    continue
                sums[key] = sums.get(key, 0.0) + sample.value
            merged = Metric(family.name, family.documentation, family.type)
            for (name, labels), value in sums.items():
                merged.add_sample(name, dict(labels), value)
            yield merged


@contextmanager
def serve_metrics(metrics: Metrics, host: str, port: int | None) -> Iterator[None]:
    """Serve `metrics` at http://host:port/metrics (a thread) while inside; None: nothing."""
    if port is None:
        yield
        return
    server, _ = start_http_server(port, host, registry=metrics.registry)
    logger.info("metrics on http://%s:%d/metrics", host, port)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
