"""Fixtures of the client's tests: a real server (the app under uvicorn on a real socket, in a
thread of the test process, with its background worker and the embedded Redis of the server's
test session) shared by the whole run, and a fresh namespace per test so tests do not see each
other's data."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent_memory_sdk import Call, MemoryClientConfig
from agent_memory_server.config import Settings
from tests.conftest import redis_url, shared_data_dir  # the server's own fixtures
from tests.support.serving import serve

__all__ = ["redis_url", "shared_data_dir"]


@pytest.fixture(scope="session")
def server_settings(redis_url: str, shared_data_dir: Path) -> Callable[..., Settings]:
    """Settings of a test server: its own key prefix, no LLM, the embedded worker on."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "redis_url": redis_url, "data_dir": shared_data_dir,
            "key_prefix": f"sdk{uuid.uuid4().hex[:8]}", "llm_provider": "none",
            "compaction_interval_minutes": 0, "summary_view_refresh_minutes": 0,
        }  # fmt: skip
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


@pytest.fixture(scope="session")
def memory_server(server_settings: Callable[..., Settings]) -> Iterator[str]:
    """The URL of the real server every client test shares."""
    with serve(server_settings()) as url:
        yield url


@pytest.fixture
def namespace() -> str:
    return f"ns-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def make_config(memory_server: str, namespace: str) -> Callable[..., MemoryClientConfig]:
    """A client configuration on the shared server, this test's namespace by default."""

    def build(**overrides: object) -> MemoryClientConfig:
        values: dict[str, object] = {
            "base_url": memory_server, "default_namespace": namespace, "backoff_base": 0.05,
        }  # fmt: skip
        values.update(overrides)
        return MemoryClientConfig.model_validate(values)

    return build


@pytest.fixture
def config(make_config: Callable[..., MemoryClientConfig]) -> MemoryClientConfig:
    return make_config()


@pytest.fixture
def recorded() -> tuple[list[Call], Callable[[Call], None]]:
    """Calls a client made (pass the hook as on_call=)."""
    calls: list[Call] = []
    return calls, calls.append
