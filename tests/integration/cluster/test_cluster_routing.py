"""A fresh cluster client sends its very first keyed command to the node that owns the key.

redis-py 7 routes a command without a static policy by key only once the client knows a
default node, so a new process's first HSET or JSON.SET went to a random node and was answered
MOVED (the package's conftest fails any test whose commands were redirected).
"""

from __future__ import annotations

import pytest

from agent_memory_server.storage.connection import connect
from tests.support.cluster import LocalCluster

# Keys whose slots fall on each of the three primaries (a random node is wrong 2 times in 3).
KEYS = [f"routing:{{tag{i}}}:k" for i in range(12)]


@pytest.mark.parametrize("command", ["hset", "json.set", "get"])
async def test_first_command_of_a_fresh_client_reaches_the_owner(
    redis_cluster: LocalCluster, command: str
) -> None:
    for key in KEYS:
        redis = connect(redis_cluster.url)
        try:
            if command == "hset":
                assert await redis.hset(key, "field", "value") in (0, 1)
            elif command == "json.set":
                assert await redis.json().set(key, "$", {"field": "value"})
            else:
                await redis.get(f"{key}:absent")
        finally:
            await redis.delete(key)
            await redis.aclose()
