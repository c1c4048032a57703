"""Typed errors and retries, against real servers: a missing record, a refused body, a session
of another user, a token bound to another tenant, and Redis going away under the server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio
from conftest import serve

from agent_memory_sdk import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    MemoryAPIClient,
    MemoryClientConfig,
    MemoryConnectionError,
    MemoryNotFoundError,
    MemoryServerError,
    NotFoundError,
    SyncMemoryAPIClient,
    UnauthorizedError,
    UnavailableError,
    WorkingMemory,
)
from agent_memory_server.config import Settings
from agent_memory_server.services.auth import add_token
from agent_memory_server.storage.api_tokens import TokenStore
from agent_memory_server.storage.embedded import EmbeddedRedis
from agent_memory_server.storage.keys import Keys
from tests.support.hermetic import free_port as _free_port


async def test_status_errors_are_typed_and_carry_the_servers_detail(
    config: MemoryClientConfig,
) -> None:
    async with MemoryAPIClient(config) as client:
        with pytest.raises(NotFoundError) as missing:
            await client.get_long_term_memory("nope")
        assert missing.value.status_code == 404 and "nope" in missing.value.detail
        assert isinstance(missing.value, MemoryNotFoundError)  # what 0.14 code catches
        with pytest.raises(InvalidRequestError) as invalid:
            await client.search_long_term_memory("x", limit=1000)
        assert invalid.value.status_code == 422 and "limit" in str(invalid.value)
        assert isinstance(invalid.value, ValueError | MemoryServerError)
        await client.put_working_memory("mine", WorkingMemory(session_id="mine"), user_id="ann")
        with pytest.raises(ConflictError, match="belongs to another user"):
            await client.put_working_memory("mine", WorkingMemory(session_id="mine"), user_id="bo")


async def test_tokens_are_sent_and_refusals_are_typed(
    server_settings: Callable[..., Settings], redis_url: str
) -> None:
    settings = server_settings(auth_mode="token")
    store = redis.asyncio.Redis.from_url(redis_url)
    try:
        keys = Keys(settings.key_prefix)
        alice, _ = await add_token(TokenStore(store, keys), "alice", ["a"], user_id="alice")
    finally:
        await store.aclose()
    with serve(settings) as url:
        async with MemoryAPIClient(MemoryClientConfig(base_url=url)) as anonymous:
            with pytest.raises(UnauthorizedError):
                await anonymous.list_sessions()
        bound = MemoryClientConfig(base_url=url, api_key=alice, default_namespace="a")
        async with MemoryAPIClient(bound) as client:
            await client.append_messages_to_working_memory(
                "s", [{"role": "user", "content": "hello"}], user_id="alice"
            )
            assert (await client.list_sessions()).sessions == ["s"]
            with pytest.raises(ForbiddenError):
                await client.compact_long_term_memories(namespace="b")


async def test_503s_are_retried_until_redis_is_back(
    tmp_path: Path, server_settings: Callable[..., Settings]
) -> None:
    own = EmbeddedRedis(tmp_path)
    own_url = own.start()
    again = EmbeddedRedis(tmp_path, own.port or 0)  # the same server, started again mid-test
    try:
        with serve(server_settings(redis_url=own_url, embedded_worker=False)) as url:
            patient = MemoryClientConfig(
                base_url=url, default_namespace="n", backoff_base=0.2, backoff_max=0.2,
                max_retries=40,
            )  # fmt: skip
            hasty = patient.model_copy(update={"max_retries": 1})
            async with MemoryAPIClient(patient) as client, MemoryAPIClient(hasty) as quick:
                await client.append_messages_to_working_memory(
                    "s", [{"role": "user", "content": "kept across the outage"}]
                )
                own.stop()
                with pytest.raises(UnavailableError) as down:
                    await quick.get_working_memory("s")
                assert down.value.status_code == 503 and down.value.retry_after == 5.0
                assert "Redis is unreachable" in down.value.detail

                restart = threading.Timer(1.0, again.start)
                restart.start()
                got = await client.get_working_memory("s")  # retried until Redis answers
                restart.join()
                assert [m.content for m in got.messages] == ["kept across the outage"]
    finally:
        again.stop()  # closes its lock file and, as the last user, shuts the server down
        own.stop()


def test_a_server_that_is_not_there_is_a_connection_error() -> None:
    config = MemoryClientConfig(
        base_url=f"http://127.0.0.1:{_free_port()}", max_retries=2, backoff_base=0.01
    )
    with SyncMemoryAPIClient(config) as client, pytest.raises(MemoryConnectionError):
        client.health_check()
    assert issubclass(MemoryConnectionError, UnavailableError)


async def test_the_sync_client_drives_the_same_operations(config: MemoryClientConfig) -> None:
    def conversation() -> list[str]:
        with SyncMemoryAPIClient(config) as client:
            created, _ = client.get_or_create_working_memory("sync", user_id="u")
            client.append_messages_to_working_memory(
                "sync", [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}],
                user_id="u",
            )  # fmt: skip
            with pytest.raises(NotFoundError):
                client.get_working_memory("absent")
            got = client.get_working_memory("sync", user_id="u")
            return [str(created), *(m.content for m in got.messages)]

    assert await asyncio.to_thread(conversation) == ["True", "one", "two"]
