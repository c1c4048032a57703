"""rebuild-index and migrate-memories on a Redis Cluster: every namespace's index is
dropped, recreated and reloaded, and every namespace's records are found (each namespace's
records live under its own hash tag, so a scan of one prefix finds none of them)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent_memory_server.config import Settings
from tests.integration.test_embedder_change import (
    test_dimension_change_is_refused_then_rebuilt_by_the_cli,
)
from tests.support.cli import invoke
from tests.support.processes import process_env

__all__ = [
    "test_dimension_change_is_refused_then_rebuilt_by_the_cli",
    "test_rebuild_and_migrate_reach_every_namespace",
]


async def test_rebuild_and_migrate_reach_every_namespace(
    make_settings: Callable[..., Settings], start_app: Any, shared_data_dir: Path
) -> None:
    settings = make_settings()
    spread = [
        {"id": f"m{i}", "text": f"Fact {i}: the heron in pond {i}", "namespace": f"pond-{i % 4}"}
        for i in range(12)
    ]
    async with start_app(settings) as app:
        stored = await app.http.post("/v1/long-term-memory/", json={"memories": spread})
        assert stored.status_code == 200, stored.text
    env = process_env(settings, shared_data_dir, ENTITY_EXTRACTION="none")

    def cli(*args: str) -> str:
        result = invoke(env, *args)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    assert "re-embedded 12 memories" in await asyncio.to_thread(cli, "rebuild-index")
    assert "schema version 1" in await asyncio.to_thread(cli, "migrate-memories")
    found = json.loads(
        await asyncio.to_thread(cli, "search", "heron pond", "--limit", "20", "--json")
    )
    assert sorted(m["id"] for m in found["memories"]) == sorted(m["id"] for m in spread)
    assert found["total"] == 12
