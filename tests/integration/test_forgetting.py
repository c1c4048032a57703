"""Forgetting over REST, through the published client, and as Docket tasks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from agent_memory_client import MemoryAPIClient, MemoryClientConfig
from agent_memory_client.models import ForgetPolicy as ClientForgetPolicy
from docket import Perpetual

from agent_memory_server.config import Settings
from agent_memory_server.models.upkeep import ForgetPolicy
from agent_memory_server.tasks.upkeep_tasks import (
    forget_long_term_memory,
    periodic_forget_policy,
    periodic_forgetting,
)
from agent_memory_server.tasks.worker import drain
from tests.conftest import AppClient

DAY = 86_400


def _memory(memory_id: str, age_days: float, inactive_days: float | None = None,
            **extra: Any) -> dict[str, Any]:  # fmt: skip
    now = time.time()
    inactive = age_days if inactive_days is None else inactive_days
    record = {
        "id": memory_id, "text": f"Memory {memory_id} about topic {memory_id}.",
        "namespace": "app", "user_id": "alice", "topics": [], "entities": [],
        "created_at": now - age_days * DAY, "last_accessed": now - inactive * DAY,
    }  # fmt: skip
    return {**record, **extra}


async def _write(app: AppClient, *memories: dict[str, Any]) -> None:
    body = {"memories": list(memories), "deduplicate": False}
    response = await app.http.post("/v1/long-term-memory/", json=body)
    assert response.status_code == 200, response.text


async def _forget(
    app: AppClient, policy: dict[str, Any], pinned_ids: list[str] | None = None, **params: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"policy": policy}
    if pinned_ids is not None:
        body["pinned_ids"] = pinned_ids
    response = await app.http.post("/v1/long-term-memory/forget", json=body, params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _ids(app: AppClient) -> set[str]:
    body = {"text": "", "limit": 100}
    response = await app.http.post("/v1/long-term-memory/search", json=body)
    return {m["id"] for m in response.json()["memories"]}


async def test_forget_by_age_keeps_pinned_and_exempt(app: AppClient) -> None:
    await _write(
        app, _memory("old", 40), _memory("young", 10), _memory("pinned", 40, pinned=True),
        _memory("exempt", 40),
    )  # fmt: skip
    result = await _forget(app, {"max_age_days": 30}, pinned_ids=["exempt"])
    assert result == {"scanned": 4, "deleted": 1, "deleted_ids": ["old"], "dry_run": False}
    assert await _ids(app) == {"young", "pinned", "exempt"}


async def test_forget_by_inactivity_counts_search_hits(app: AppClient) -> None:
    await _write(
        app, _memory("idle", 100, 60), _memory("found", 100, 60), _memory("recent", 100, 5)
    )
    # a search hit records an access (outside the indexed record) that saves "found"
    search = {"text": "Memory found about topic found.", "limit": 1}
    hit = await app.http.post("/v1/long-term-memory/search", json=search)
    assert hit.json()["memories"][0]["id"] == "found"
    result = await _forget(app, {"max_inactive_days": 30})
    assert result["deleted_ids"] == ["idle"]
    assert await _ids(app) == {"found", "recent"}


async def test_age_needs_inactivity_too_unless_past_the_hard_limit(app: AppClient) -> None:
    await _write(
        app, _memory("old_idle", 40, 40), _memory("old_active", 40, 1),
        _memory("young_idle", 10, 10), _memory("ancient_active", 400, 1),
    )  # fmt: skip
    both = {"max_age_days": 30, "max_inactive_days": 30}
    assert (await _forget(app, both, dry_run=True))["deleted_ids"] == ["old_idle"]
    hard = {**both, "hard_age_multiplier": 12}  # 360 days
    result = await _forget(app, hard)
    assert result["deleted_ids"] == ["old_idle", "ancient_active"]  # least recently active first
    assert await _ids(app) == {"old_active", "young_idle"}


async def test_budget_keeps_the_most_recently_active(app: AppClient) -> None:
    await _write(
        app, *(_memory(f"d{i}", i) for i in range(1, 6)), _memory("pinned", 50, pinned=True)
    )
    # "d5" is the oldest but was just found by a search: it counts as recently active
    search = {"text": "Memory d5 about topic d5.", "limit": 1}
    await app.http.post("/v1/long-term-memory/search", json=search)
    result = await _forget(app, {"budget": 2})
    assert result["scanned"] == 6
    assert result["deleted_ids"] == ["d4", "d3", "d2"]
    assert await _ids(app) == {"d1", "d5", "pinned"}  # pinned records are outside the budget


async def test_allowlist_limits_the_types_forgotten(app: AppClient) -> None:
    await _write(
        app, _memory("fact", 40), _memory("event", 40, memory_type="episodic"),
        _memory("message", 40, memory_type="message"),
    )  # fmt: skip
    policy = {"max_age_days": 30, "memory_type_allowlist": ["episodic", "message"]}
    result = await _forget(app, policy)
    assert sorted(result["deleted_ids"]) == ["event", "message"]
    assert await _ids(app) == {"fact"}
    budget = await _forget(app, {"budget": 0, "memory_type_allowlist": ["episodic"]})
    assert budget["deleted"] == 0  # no episodic record is left to forget


async def test_dry_run_deletes_nothing_and_limit_caps(app: AppClient) -> None:
    await _write(app, *(_memory(f"m{i}", 40 + i) for i in range(4)), _memory("new", 1))
    everything = {"m0", "m1", "m2", "m3", "new"}
    dry = await _forget(app, {"max_age_days": 30}, dry_run=True)
    assert dry == {
        "scanned": 5, "deleted": 4, "deleted_ids": ["m3", "m2", "m1", "m0"], "dry_run": True,
    }  # fmt: skip
    assert await _ids(app) == everything
    capped = await _forget(app, {"max_age_days": 30}, limit=1)
    assert capped["deleted_ids"] == ["m3"] and capped["deleted"] == 1
    assert await _ids(app) == everything - {"m3"}


async def test_scope_by_namespace_user_and_session(app: AppClient) -> None:
    await _write(
        app, _memory("a-alice", 40), _memory("a-bob", 40, user_id="bob"),
        _memory("b-alice", 40, namespace="b"), _memory("none", 40, namespace=None, user_id=None),
        _memory("s1", 40, session_id="s1"), _memory("s2", 40, session_id="s2"),
    )  # fmt: skip
    policy = {"max_age_days": 30}
    result = await _forget(app, policy, session_id="s1")
    assert result["scanned"] == 1 and result["deleted_ids"] == ["s1"]
    result = await _forget(app, policy, namespace="app", user_id="alice")
    assert sorted(result["deleted_ids"]) == ["a-alice", "s2"]
    assert await _ids(app) == {"a-bob", "b-alice", "none"}
    result = await _forget(app, policy)
    assert result["scanned"] == 3 and result["deleted"] == 3


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"policy": {"max_age_days": -1}}, "max_age_days"),
        ({"policy": {"max_inactive_days": -0.5}}, "max_inactive_days"),
        ({"policy": {"budget": -1}}, "budget"),
        ({"policy": {"max_age_days": 3, "forever": True}}, "forever"),
        ({"policy": {"max_age_days": 3}, "pinned": ["x"]}, "pinned"),
        ({"policy": {}}, "at least one of"),
        ({"policy": {"memory_type_allowlist": ["semantic"]}}, "at least one of"),
        ({"policy": {"max_inactive_days": 3, "hard_age_multiplier": 2}}, "needs max_age_days"),
        ({"policy": {"max_age_days": 3, "hard_age_multiplier": 0.5}}, "hard_age_multiplier"),
        ({"policy": {"budget": 3, "memory_type_allowlist": ["fact"]}}, "memory_type_allowlist"),
        ({"policy": {"budget": 3, "memory_type_allowlist": []}}, "memory_type_allowlist"),
        ({}, "policy"),
    ],
)
async def test_bad_policies_get_422_with_a_message(
    app: AppClient, body: dict[str, Any], word: str
) -> None:
    response = await app.http.post("/v1/long-term-memory/forget", json=body)
    assert response.status_code == 422, response.text
    assert word in response.text, response.text


async def test_bad_query_values_get_422(app: AppClient) -> None:
    body = {"policy": {"budget": 1}}
    for params in ({"limit": 0}, {"dry_run": "maybe"}):
        response = await app.http.post("/v1/long-term-memory/forget", json=body, params=params)
        assert response.status_code == 422, (params, response.text)


async def test_forget_through_the_published_client(app: AppClient) -> None:
    await _write(app, _memory("old", 40), _memory("young", 1), _memory("kept", 40))
    client = MemoryAPIClient(MemoryClientConfig(base_url="http://test"))
    own, client._client = client._client, app.http  # the app over ASGI instead of a socket
    try:
        policy = ClientForgetPolicy(max_age_days=30)
        dry = await client.forget_long_term_memories(policy, namespace="app", dry_run=True)
        assert sorted(dry.deleted_ids) == ["kept", "old"] and dry.dry_run
        done = await client.forget_long_term_memories(
            policy, namespace="app", user_id="alice", pinned_ids=["kept"]
        )
        assert done.deleted_ids == ["old"] and done.scanned == 3 and not done.dry_run
    finally:
        await own.aclose()
    assert await _ids(app) == {"young", "kept"}


async def test_forget_task(make_settings: Callable[..., Settings], start_app: Any) -> None:
    async with start_app(make_settings(compaction_interval_minutes=0)) as app:
        await _write(app, _memory("old", 40), _memory("young", 1))
        policy = ForgetPolicy(max_age_days=30)
        await app.resources.docket.add(forget_long_term_memory)(policy, dry_run=True)
        await drain(app.resources)
        assert await _ids(app) == {"old", "young"}
        await app.resources.docket.add(forget_long_term_memory)(policy, namespace="app")
        await drain(app.resources)
        assert await _ids(app) == {"young"}


async def test_periodic_forgetting(make_settings: Callable[..., Settings], start_app: Any) -> None:
    settings = make_settings(
        compaction_interval_minutes=0, forgetting_enabled=True, forgetting_max_age_days=30,
        forgetting_budget=1,
    )  # fmt: skip
    async with start_app(settings) as app:
        resources = app.resources
        await _write(
            app, _memory("old", 40), _memory("a1", 1), _memory("a2", 2),
            _memory("b1", 1, user_id="bob"), _memory("b2", 2, user_id="bob"),
        )  # fmt: skip
        tick = Perpetual()
        assert await periodic_forgetting(perpetual=tick, resources=resources) is True
        assert await periodic_forgetting(perpetual=tick, resources=resources) is False
        await drain(resources)
        # older than 30 days goes, and the budget of 1 applies to each user on its own
        assert await _ids(app) == {"a1", "b1"}

    assert periodic_forget_policy(make_settings()) is None  # off by default
    assert periodic_forget_policy(make_settings(forgetting_enabled=True)) is None  # no rule
    async with start_app(make_settings(compaction_interval_minutes=0)) as app:
        off = Perpetual()
        assert await periodic_forgetting(perpetual=off, resources=app.resources) is False
        assert off.cancelled  # a job that is off does not stay queued
