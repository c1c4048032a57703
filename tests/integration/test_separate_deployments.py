"""Working memory and long-term memory on separate Redis deployments (WORKING_MEMORY_REDIS_URL,
LONG_TERM_REDIS_URL): one a single server, the other a Redis Cluster, each way round. Every
door keeps working, and each store's keys land on its own deployment only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from agent_memory_server.config import Settings
from agent_memory_server.tasks.worker import drain
from tests.support.cluster import LocalCluster


def _keys(clients: list[redis.Redis], prefix: str) -> set[str]:
    found: set[str] = set()
    for client in clients:
        found |= {key.decode() for key in client.scan_iter(match=f"{prefix}:*", count=1000)}
    return found


@pytest.mark.parametrize("cluster_holds", ["long_term", "working_memory"])
async def test_each_store_on_its_own_deployment(
    make_settings: Callable[..., Settings], start_app: Any, redis_url: str,
    redis_cluster: LocalCluster, cluster_holds: str,
) -> None:  # fmt: skip
    settings = make_settings(**{f"{cluster_holds}_redis_url": redis_cluster.url})
    prefix = settings.key_prefix
    async with start_app(settings) as app:
        session = {
            "messages": [{"role": "user", "content": "I moved to Lisbon last spring."}],
            "memories": [{"id": "tea", "text": "Ana drinks green tea every morning."}],
            "user_id": "ana",
        }
        put = await app.http.put("/v1/working-memory/s1", json=session)
        assert put.status_code == 200, put.text
        created = await app.http.post(
            "/v1/long-term-memory/",
            json={"memories": [{"id": "city", "text": "Ana lives in Lisbon.", "user_id": "ana"}]},
        )
        assert created.status_code == 200, created.text
        await drain(app.resources)  # promotion: working memory -> long-term, across deployments

        got = await app.http.get("/v1/working-memory/s1")
        assert got.status_code == 200 and got.json()["memories"][0]["persisted_at"]
        found = await app.http.post(
            "/v1/long-term-memory/search", json={"text": "What does Ana drink?", "limit": 3}
        )
        assert found.status_code == 200, found.text
        assert "tea" in [m["id"] for m in found.json()["memories"]]
        prompt = await app.http.post(
            "/v1/memory/prompt",
            json={"query": "Where does Ana live?", "session": {"session_id": "s1"},
                  "long_term_search": {"text": "Where does Ana live?", "limit": 3}},
        )  # fmt: skip
        assert prompt.status_code == 200, prompt.text
        assert "Lisbon" in str(prompt.json())

    single = redis.Redis.from_url(redis_url)
    nodes = [node.client() for node in redis_cluster.nodes]
    try:
        on_single, on_cluster = _keys([single], prefix), _keys(nodes, prefix)
    finally:
        for client in [single, *nodes]:
            client.close()
    working = {k for k in on_single | on_cluster if ":wm" in k or ":session" in k}
    records = {k for k in on_single | on_cluster if "tea" in k or "city" in k}
    assert working and records
    wm_side, lt_side = (
        (on_single, on_cluster) if cluster_holds == "long_term" else (on_cluster, on_single)
    )
    assert working <= wm_side and not working & lt_side, (working, on_single, on_cluster)
    assert records <= lt_side and not records & wm_side, (records, on_single, on_cluster)
