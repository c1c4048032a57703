"""The embedded Redis launcher: start, share, persist, stop; and the start-up module check."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from agent_memory_server.errors import ConfigurationError
from agent_memory_server.storage.connection import check_modules, connect
from agent_memory_server.storage.embedded import EmbeddedRedis


def test_shared_between_processes_of_one_data_dir_and_stopped_by_the_last(tmp_path: Path) -> None:
    first = EmbeddedRedis(tmp_path, appendfsync="always")
    url = first.start()
    assert url.startswith("redis://127.0.0.1:")
    second = EmbeddedRedis(tmp_path)
    assert second.start() == url  # joined, not duplicated
    client = redis.Redis.from_url(url)
    assert client.config_get("appendonly")["appendonly"] == "yes"
    assert client.config_get("appendfsync")["appendfsync"] == "always"
    assert client.config_get("bind")["bind"] == "127.0.0.1"
    client.set("kept", "yes")

    first.stop()
    assert client.ping()  # the second user still holds it
    second.stop()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    client.close()

    third = EmbeddedRedis(tmp_path)
    restarted = redis.Redis.from_url(third.start())
    assert restarted.get("kept") == b"yes"  # AOF brought the data back
    restarted.close()
    third.stop()


def test_a_server_left_running_by_a_crashed_process_is_reused(tmp_path: Path) -> None:
    crashed = EmbeddedRedis(tmp_path)
    url = crashed.start()
    assert crashed._users_fd is not None
    crashed._users_fd.close()  # what the kernel does when the process dies
    survivor = EmbeddedRedis(tmp_path)
    assert survivor.start() == url
    survivor.stop()
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url).ping()


async def test_server_without_modules_is_refused_with_a_clear_message(bare_redis_url: str) -> None:
    client = connect(bare_redis_url)
    with pytest.raises(ConfigurationError) as error:
        await check_modules(client, bare_redis_url, embedded=False)
    await client.aclose()
    message = str(error.value)
    assert "RediSearch" in message and "RedisJSON" in message
    assert "Redis 8" in message and "unset REDIS_URL" in message
