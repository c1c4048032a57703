"""Changing the embedder never corrupts the index: refuse to start, then rebuild-index."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from agent_memory_server.config import Settings
from agent_memory_server.errors import ConfigurationError
from agent_memory_server.models.long_term import SearchRequest
from agent_memory_server.resources import open_resources
from agent_memory_server.services.search import search_memories
from tests.support.cli import invoke
from tests.support.llm_stub import LLMStub
from tests.support.processes import process_env


async def test_dimension_change_is_refused_then_rebuilt_by_the_cli(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub,
    shared_data_dir: Path,
) -> None:  # fmt: skip
    local = make_settings()
    async with start_app(local) as app:
        memories = [
            {"id": f"r{i}", "text": f"Fact {i}: the orchid needs water on day {i}."}
            for i in range(30)
        ]
        memories.append({"id": "cello", "text": "Bob plays the cello"})
        await app.http.post("/v1/long-term-memory/", json={"memories": memories})

    remote = {
        "embedding_provider": "openai", "embedding_base_url": llm_stub.base_url,
        "embedding_model": "stub-embed", "embedding_dimensions": 64,
    }  # fmt: skip
    switched = local.model_copy(update=remote)
    with pytest.raises(ConfigurationError, match="rebuild-index") as refused:
        async with open_resources(switched):
            pass
    assert "384-d" in str(refused.value) and "64-d" in str(refused.value)

    env = process_env(
        local, shared_data_dir, EMBEDDING_PROVIDER="openai", EMBEDDING_BASE_URL=llm_stub.base_url,
        EMBEDDING_MODEL="stub-embed", EMBEDDING_DIMENSIONS="64",
    )  # fmt: skip
    rebuilt = await asyncio.to_thread(invoke, env, "rebuild-index")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert "re-embedded 31 memories with openai:stub-embed" in rebuilt.stdout
    found = await asyncio.to_thread(invoke, env, "search", "cello bob", "--limit", "1", "--json")
    assert found.exit_code == 0, found.stderr
    assert json.loads(found.stdout)["memories"][0]["text"] == "Bob plays the cello"

    async with open_resources(switched) as resources:
        assert resources.long_term.params.dimension == 64
        found = await search_memories(resources, SearchRequest(text="cello bob", limit=1))
        assert found.total == 31
        assert found.memories[0].id == "cello"
    with pytest.raises(ConfigurationError, match="rebuild-index"):
        async with open_resources(local):  # and back: refused again, nothing touched
            pass


def test_cli_search_and_migrate(
    make_settings: Callable[..., Settings], shared_data_dir: Path
) -> None:
    settings = make_settings()
    env = process_env(settings, shared_data_dir, ENTITY_EXTRACTION="none")

    def cli(*args: str) -> str:
        result = invoke(env, *args)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    assert "schema version 1" in cli("migrate-memories")
    assert "schema version 1" in cli("migrate-memories")  # reentrant
    assert "0 match(es)" in cli("search", "anything")
    bad = invoke(env, "search", "x", "--mode", "fuzzy")
    assert bad.exit_code != 0 and "mode" in bad.stderr
    scheduled = cli(
        "schedule-task",
        "agent_memory_server.tasks.collection.after_long_term_write",
        "-a",
        'ids=["x"]',
    )
    assert "scheduled agent_memory_server.tasks.collection.after_long_term_write" in scheduled
    queued = redis.Redis.from_url(str(settings.redis_url))
    assert queued.exists(f"{settings.docket}:stream") or queued.keys(f"{settings.docket}*")
    queued.close()
    unknown = invoke(env, "schedule-task", "no.such.task")
    assert unknown.exit_code != 0 and "cannot import" in unknown.stderr
