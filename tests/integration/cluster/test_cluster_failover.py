"""A replica is promoted (CLUSTER FAILOVER) while clients write: no acknowledged write is lost,
and the service answers again once the cluster has settled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent_memory_server.config import Settings
from tests.conftest import AppClient
from tests.support.cluster import LocalCluster

NAMESPACES = [f"tenant{i}" for i in range(8)]  # tags spread over the three shards


async def _writer(app: AppClient, acknowledged: list[str], stop: asyncio.Event) -> int:
    """Writes long-term records and session messages until stopped; keeps the ids of the
    writes the server acknowledged (200). Returns how many were refused meanwhile."""
    refused = 0
    n = 0
    while not stop.is_set():
        namespace = NAMESPACES[n % len(NAMESPACES)]
        memory_id = f"m{n}"
        body: dict[str, Any] = {"memories": [
            {"id": memory_id, "text": f"fact number {n}", "namespace": namespace},
        ]}  # fmt: skip
        reply = await app.http.post("/v1/long-term-memory/", json=body)
        session = await app.http.put(
            f"/v1/working-memory/s{n % 5}",
            json={"namespace": namespace, "messages": [{"role": "user", "content": f"m {n}"}]},
        )
        if reply.status_code == 200:
            acknowledged.append(memory_id)
        else:
            assert reply.status_code == 503, reply.text  # unavailable for a moment, not a 500
            refused += 1
        assert session.status_code in (200, 503), session.text
        n += 1
    return refused


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A cluster of this test's own: the session's cluster keeps its topology (after a failover
    a fresh client was still redirected now and then)."""
    cluster = LocalCluster(Path(tmp_path_factory.mktemp("failover"))).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def app_on_own(
    own_cluster: LocalCluster,
    make_settings: Callable[..., Settings],
    start_app: Callable[[Settings], Any],
) -> AsyncIterator[AppClient]:
    async with start_app(make_settings(redis_url=own_cluster.url)) as running:
        yield running


async def test_failover_loses_no_acknowledged_write(
    app_on_own: AppClient, own_cluster: LocalCluster
) -> None:
    app, redis_cluster = app_on_own, own_cluster
    acknowledged: list[str] = []
    stop = asyncio.Event()
    writer = asyncio.create_task(_writer(app, acknowledged, stop))
    for _ in range(600):  # some writes are acknowledged before the failover
        if len(acknowledged) >= 20:
            break
        await asyncio.sleep(0.05)
    replica = redis_cluster.replica_nodes()[0]
    primary = redis_cluster.primary_of(replica)
    await asyncio.to_thread(redis_cluster.failover, replica)
    written_before = len(acknowledged)
    for _ in range(200):  # the service resumes: writes are acknowledged again
        if len(acknowledged) >= written_before + 20:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await writer
    assert len(acknowledged) >= written_before + 20, "writes did not resume after the failover"
    for memory_id in acknowledged:
        got = await app.http.get(f"/v1/long-term-memory/{memory_id}")
        assert got.status_code == 200, (memory_id, got.text)
    for namespace in NAMESPACES:
        listed = await app.http.post(
            "/v1/long-term-memory/search", json={"text": "", "namespace": {"eq": namespace},
                                                 "limit": 100},
        )  # fmt: skip
        assert listed.status_code == 200, listed.text
    found = await app.http.post("/v1/long-term-memory/search", json={"text": "", "limit": 1})
    assert found.json()["total"] == len(set(acknowledged))
    # And back: the old primary takes its slots again, and the service still answers.
    await asyncio.to_thread(redis_cluster.failover, primary)
    again = await app.http.post("/v1/long-term-memory/search", json={"text": "", "limit": 1})
    assert again.status_code == 200 and again.json()["total"] == len(set(acknowledged))
