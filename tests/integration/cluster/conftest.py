"""The tests of this package run against a real local Redis Cluster (3 primaries, 1 replica):
`redis_url` is the cluster's `redis+cluster://` URL instead of the embedded single server."""

from __future__ import annotations

import pytest

from tests.support.cluster import LocalCluster


@pytest.fixture(scope="session")
def redis_url(redis_cluster: LocalCluster) -> str:
    return redis_cluster.url
