"""The tests of this package run against a real local Redis Cluster (3 primaries, 1 replica):
`redis_url` is the cluster's `redis+cluster://` URL instead of the embedded single server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cluster import LocalCluster


@pytest.fixture(scope="session")
def redis_url(redis_cluster: LocalCluster) -> str:
    return redis_cluster.url


@pytest.fixture(autouse=True)
def routed_to_the_right_shard(redis_cluster: LocalCluster) -> Iterator[None]:
    """Every command of a test reaches the node that owns its keys (or index) at once: a
    redirection means a command was misrouted (and redis-py's retry of it is fragile). The
    failover test runs on a cluster of its own."""
    before = redis_cluster.redirections()
    yield
    assert redis_cluster.redirections() == before, "a command was sent to the wrong node"
