"""/v1/summary-views and /v1/tasks: views, partition summaries (extractive and LLM), full runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from agent_memory_client import MemoryAPIClient, MemoryClientConfig
from agent_memory_client.models import ClientMemoryRecord, CreateSummaryViewRequest
from docket import Perpetual

from agent_memory_server.config import Settings
from agent_memory_server.models.memory_record import MemoryRecord, MemoryType
from agent_memory_server.models.summary_views import Task
from agent_memory_server.services.summary_view_runs import execute_run
from agent_memory_server.storage.connection import connect, keys_for
from agent_memory_server.storage.summary_views import SummaryViewStore
from agent_memory_server.tasks.summary_view_tasks import (
    periodic_summary_views,
    run_summary_view_task,
)
from agent_memory_server.tasks.worker import drain
from tests.conftest import AppClient
from tests.support.llm_stub import LLMStub
from tests.support.worker import run_worker_until

MEMORIES = [
    ("a1", "alice", "semantic", "Alice is allergic to peanuts."),
    ("a2", "alice", "semantic", "Alice lives in Lisbon with her daughter Rosa."),
    ("a3", "alice", "episodic", "Alice ran the Porto marathon in October 2024."),
    ("b1", "bob", "semantic", "Bob plays the cello in an amateur orchestra."),
    ("c1", "Alice", "semantic", "Another tenant called Alice collects vintage typewriters."),
    ("n1", None, "semantic", "A memory without an owner mentions Jupiter."),
]


async def _seed(app: AppClient, rows: list[tuple[str, str | None, str, str]] = MEMORIES) -> None:
    memories = [
        {"id": i, "user_id": user, "memory_type": kind, "text": text, "namespace": "app",
         "topics": [], "entities": [], "created_at": 1_700_000_000 + n * 3600}
        for n, (i, user, kind, text) in enumerate(rows)
    ]  # fmt: skip
    response = await app.http.post("/v1/long-term-memory/", json={"memories": memories})
    assert response.status_code == 200, response.text


async def _view(app: AppClient, **body: Any) -> dict[str, Any]:
    response = await app.http.post("/v1/summary-views", json={"source": "long_term", **body})
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def _run(app: AppClient, view_id: str, force: bool = False) -> dict[str, Any]:
    response = await app.http.post(f"/v1/summary-views/{view_id}/run", json={"force": force})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    await drain(app.resources)
    task: dict[str, Any] = (await app.http.get(f"/v1/tasks/{response.json()['id']}")).json()
    return task


async def _partitions(app: AppClient, view_id: str, **params: str) -> list[dict[str, Any]]:
    response = await app.http.get(f"/v1/summary-views/{view_id}/partitions", params=params)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


async def test_create_list_get_delete(app: AppClient) -> None:
    view = await _view(
        app, name="by user", group_by=["user_id"], filters={"memory_type": "semantic"},
        time_window_days=30, prompt="Focus on health.",
    )  # fmt: skip
    assert view["filters"] == {"memory_type": {"eq": "semantic"}}  # the shorthand, expanded
    assert view["group_by"] == ["user_id"] and view["continuous"] is False
    other = await _view(app, group_by=[], filters={"topics": {"any": ["travel"]}})
    got = await app.http.get(f"/v1/summary-views/{view['id']}")
    assert got.json() == view
    listed = (await app.http.get("/v1/summary-views")).json()
    assert [v["id"] for v in listed] == [view["id"], other["id"]]

    deleted = await app.http.delete(f"/v1/summary-views/{view['id']}")
    assert deleted.json() == {"status": "ok"}
    assert (await app.http.get(f"/v1/summary-views/{view['id']}")).status_code == 404
    assert (await app.http.delete(f"/v1/summary-views/{view['id']}")).status_code == 404
    assert [v["id"] for v in (await app.http.get("/v1/summary-views")).json()] == [other["id"]]


async def test_bad_views_are_refused_with_422(app: AppClient) -> None:
    cases = [
        ({"group_by": ["topics"]}, "group_by takes a subset of"),
        ({"group_by": ["user_id", "user_id"]}, "more than once"),
        ({"source": "working_memory", "group_by": []}, "not supported yet"),
        ({"source": "somewhere", "group_by": []}, "unknown source"),
        ({"group_by": [], "filters": {"user_id": {"eq": "a", "ne": "b"}}}, "exactly one"),
        ({"group_by": [], "filters": {"colour": "red"}}, "colour"),
        ({"group_by": [], "time_window_days": 0}, "time_window_days"),
    ]
    for body, message in cases:
        response = await app.http.post("/v1/summary-views", json={"source": "long_term", **body})
        assert response.status_code == 422, body
        assert message in response.text, (body, response.text)
    assert (await app.http.get("/v1/summary-views")).json() == []


async def test_unknown_views_and_tasks_are_404(app: AppClient) -> None:
    app.resources.docket.register(run_summary_view_task)
    base = "/v1/summary-views/nope"
    assert (await app.http.get(base)).status_code == 404
    assert (await app.http.get(f"{base}/partitions")).status_code == 404
    run = await app.http.post(f"{base}/partitions/run", json={"group": {}})
    assert run.status_code == 404 and "nope" in run.json()["detail"]
    assert (await app.http.post(f"{base}/run", json={})).status_code == 404
    assert (await app.http.get("/v1/tasks/nope")).status_code == 404


async def test_partition_without_llm_is_extractive_and_exact(app: AppClient) -> None:
    await _seed(app)
    view = await _view(app, group_by=["user_id"])
    url = f"/v1/summary-views/{view['id']}/partitions/run"
    result = (await app.http.post(url, json={"group": {"user_id": "alice"}})).json()
    assert result["group"] == {"user_id": "alice"} and result["view_id"] == view["id"]
    assert result["memory_count"] == 3 and result["total_memories"] == 3
    assert "peanuts" in result["summary"] and "Lisbon" in result["summary"]
    # RediSearch TAG matching ignores case: "Alice" is another user and must stay out.
    assert "typewriters" not in result["summary"] and "cello" not in result["summary"]
    assert result["computed_at"]

    empty = (await app.http.post(url, json={"group": {"user_id": "carol"}})).json()
    assert empty["summary"] == "" and empty["memory_count"] == 0
    wrong = await app.http.post(url, json={"group": {"namespace": "app"}})
    assert wrong.status_code == 400 and "user_id" in wrong.json()["detail"]

    stored = await _partitions(app, view["id"], user_id="alice")
    assert [p["summary"] for p in stored] == [result["summary"]]
    assert len(await _partitions(app, view["id"])) == 2
    assert await _partitions(app, view["id"], namespace="app") == []  # not a group_by field


async def test_partition_with_the_llm_stub(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub
) -> None:
    llm_stub.state.reply = "Alice: peanut allergy, lives in Lisbon, ran a marathon."
    settings = make_settings(llm_provider="openai", openai_base_url=llm_stub.base_url)
    async with start_app(settings) as app:
        await _seed(app)
        view = await _view(
            app, group_by=["user_id", "memory_type"], prompt="Mention sports first.",
            model_name="gpt-4o",
        )  # fmt: skip
        group = {"user_id": "alice", "memory_type": "semantic"}
        response = await app.http.post(
            f"/v1/summary-views/{view['id']}/partitions/run", json={"group": group}
        )
        result = response.json()
        assert result["summary"] == llm_stub.state.reply
        assert result["memory_count"] == 2 and result["group"] == group
        request = llm_stub.chat_requests()[-1]["body"]
        assert request["model"] == "gpt-4o"  # the view's model, not GENERATION_MODEL
        prompt = request["messages"][-1]["content"]
        assert "Mention sports first." in prompt
        assert "Alice is allergic to peanuts." in prompt and "Lisbon" in prompt
        assert "marathon" not in prompt  # episodic: another partition
        assert "typewriters" not in prompt


async def test_full_run_is_a_task_that_stores_every_partition(app: AppClient) -> None:
    app.resources.docket.register(run_summary_view_task)
    await _seed(app)
    view = await _view(app, group_by=["user_id", "memory_type"])
    response = await app.http.post(f"/v1/summary-views/{view['id']}/run", json={})
    pending = response.json()
    assert pending["status"] == "pending" and pending["type"] == "summary_view_full_run"
    assert pending["view_id"] == view["id"] and pending["created_at"]
    polled = (await app.http.get(f"/v1/tasks/{pending['id']}")).json()
    assert polled["status"] == "pending"

    await drain(app.resources)
    task = (await app.http.get(f"/v1/tasks/{pending['id']}")).json()
    assert task["status"] == "completed", task
    assert task["started_at"] and task["completed_at"] and task["error_message"] is None
    assert task["partitions_total"] == task["partitions_computed"] == 4
    groups = {
        (p["group"]["user_id"], p["group"]["memory_type"]): p["memory_count"]
        for p in await _partitions(app, view["id"])
    }
    # The memory without a user belongs to no partition.
    assert groups == {
        ("alice", "semantic"): 2, ("alice", "episodic"): 1, ("bob", "semantic"): 1,
        ("Alice", "semantic"): 1,
    }  # fmt: skip

    # Run again: nothing changed, nothing is recomputed; one new memory, one partition.
    assert (await _run(app, view["id"]))["partitions_computed"] == 0
    await _seed(app, [("a4", "alice", "episodic", "Alice adopted a cat named Miso in 2025.")])
    again = await _run(app, view["id"])
    assert again["partitions_total"] == 4 and again["partitions_computed"] == 1
    assert (await _run(app, view["id"], force=True))["partitions_computed"] == 4
    [episodic] = await _partitions(app, view["id"], user_id="alice", memory_type="episodic")
    assert episodic["memory_count"] == 2 and "Miso" in episodic["summary"]

    # A partition whose memories are gone is removed by the next run.
    await app.http.delete("/v1/long-term-memory", params={"memory_ids": ["b1"]})
    assert (await _run(app, view["id"]))["partitions_total"] == 3
    assert await _partitions(app, view["id"], user_id="bob") == []


async def test_continuous_views_are_refreshed_by_the_workers(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(summary_view_refresh_minutes=60)) as app:
        resources = app.resources
        await _seed(app)
        once = await _view(app, group_by=["user_id"])
        live = await _view(app, group_by=["user_id"], continuous=True)
        assert live["continuous"] is True and once["continuous"] is False

        async def refreshed() -> bool:
            return len(await _partitions(app, live["id"])) == 3

        await run_worker_until(resources, refreshed)  # the first tick runs at worker start
        users = {p["group"]["user_id"] for p in await _partitions(app, live["id"])}
        assert users == {"alice", "bob", "Alice"}
        assert await _partitions(app, once["id"]) == []  # not continuous: not run
        # This interval's run is claimed: another tick within it starts nothing.
        assert await periodic_summary_views(perpetual=Perpetual(), resources=resources) == 0

    async with start_app(make_settings(summary_view_refresh_minutes=0)) as app:
        off = Perpetual()
        assert await periodic_summary_views(perpetual=off, resources=app.resources) == 0
        assert off.cancelled  # off: the tick does not stay queued


async def test_filters_and_time_window_select_the_records(app: AppClient) -> None:
    app.resources.docket.register(run_summary_view_task)
    now = time.time()
    memories = [
        {"id": "old", "text": "Dana liked jazz in 2020.", "user_id": "dana", "created_at": 0},
        {"id": "new", "text": "Dana now prefers techno.", "user_id": "dana", "created_at": now},
        {"id": "ep", "text": "Dana went to Berlin.", "user_id": "dana", "memory_type": "episodic",
         "created_at": now},
    ]  # fmt: skip
    await app.http.post("/v1/long-term-memory/", json={"memories": memories})
    view = await _view(
        app, group_by=["user_id"], filters={"memory_type": {"eq": "semantic"}}, time_window_days=7
    )
    assert (await _run(app, view["id"]))["status"] == "completed"
    [partition] = await _partitions(app, view["id"])
    assert partition["memory_count"] == 1 and partition["summary"] == "Dana now prefers techno."


async def test_failed_runs_record_the_error(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub
) -> None:
    settings = make_settings(llm_provider="openai", openai_base_url=llm_stub.base_url)
    async with start_app(settings) as app:
        resources = app.resources
        resources.docket.register(run_summary_view_task)
        await _seed(app)
        view = await _view(app, group_by=["user_id"])
        response = await app.http.post(f"/v1/summary-views/{view['id']}/run", json={})
        task_id = response.json()["id"]

        # The LLM fails every call: the last attempt fails the task with the reason.
        llm_stub.state.fail_next = 100
        failed = await execute_run(resources, task_id, view["id"], last_attempt=True)
        assert failed is not None and failed.status == "failed"
        assert failed.error_message and "LLM call" in failed.error_message
        polled = (await app.http.get(f"/v1/tasks/{task_id}")).json()
        assert polled["status"] == "failed" and polled["completed_at"]
        await drain(resources)  # the queued delivery finds the task finished: left as it is
        assert (await app.http.get(f"/v1/tasks/{task_id}")).json() == polled

        # One failure, then success: the queue's retry completes the task.
        llm_stub.state.fail_next = 1
        calls = len(llm_stub.chat_requests())
        retried = await _run(app, view["id"])
        assert retried["status"] == "completed" and retried["error_message"] is None
        assert llm_stub.state.fail_next == 0 and len(llm_stub.chat_requests()) > calls + 3

        # A view deleted before its run: failed at once, no retries.
        response = await app.http.post(f"/v1/summary-views/{view['id']}/run", json={})
        await app.http.delete(f"/v1/summary-views/{view['id']}")
        await drain(resources)
        gone = (await app.http.get(f"/v1/tasks/{response.json()['id']}")).json()
        assert gone["status"] == "failed" and "not found" in gone["error_message"]


async def test_thousands_of_records(app: AppClient) -> None:
    """3000 records, 40 users x 2 types: partitions found by FT.AGGREGATE, extractive run."""
    app.resources.docket.register(run_summary_view_task)
    rng = np.random.default_rng(7)
    records = [
        MemoryRecord(
            id=f"m{i}",
            user_id=f"user{i % 40}",
            session_id=f"s{i % 300}",
            memory_type=MemoryType.EPISODIC if i % 3 else MemoryType.SEMANTIC,
            text=f"Note {i}: user{i % 40} talked about topic {rng.integers(1000)} on day {i}.",
        )
        for i in range(3000)
    ]
    vectors = rng.random((len(records), app.resources.embedder.dimension), dtype=np.float32)
    await app.resources.long_term.upsert(list(zip(records, vectors, strict=True)))
    view = await _view(app, group_by=["user_id", "memory_type"])
    task = await _run(app, view["id"])
    assert task["status"] == "completed" and task["partitions_total"] == 80, task
    partitions = await _partitions(app, view["id"])
    assert sum(p["total_memories"] for p in partitions) == 3000
    assert all(p["summary"] and p["memory_count"] == p["total_memories"] for p in partitions)

    # One partition over everything: the newest memories that fit the input budget are used.
    everything = await _view(app, group_by=[])
    response = await app.http.post(
        f"/v1/summary-views/{everything['id']}/partitions/run", json={"group": {}}
    )
    whole = response.json()
    assert whole["total_memories"] == 3000 and 100 < whole["memory_count"] < 3000


async def test_through_the_published_client(
    serve_app: Callable[[Settings], str], make_settings: Callable[..., Settings], redis_url: str
) -> None:
    settings = make_settings(embedded_worker=True)
    prefix = settings.key_prefix
    url = serve_app(settings)
    config = MemoryClientConfig(base_url=url, default_namespace="app")
    async with MemoryAPIClient(config) as client:
        await client.create_long_term_memory(
            [
                ClientMemoryRecord(id=i, text=text, user_id=user, memory_type=kind)
                for i, user, kind, text in MEMORIES[:4]
            ]
        )
        request = CreateSummaryViewRequest(
            name="by user", source="long_term", group_by=["user_id"],
            filters={"memory_type": "semantic"},
        )  # fmt: skip
        view = await client.create_summary_view(request)
        assert view.group_by == ["user_id"] and view.source == "long_term"
        assert [v.id for v in await client.list_summary_views()] == [view.id]
        assert (await client.get_summary_view(view.id)) == view
        assert await client.get_summary_view("nope") is None

        result = await client.run_summary_view_partition(view.id, {"user_id": "alice"})
        assert result.memory_count == 2 and "peanuts" in result.summary
        listed = await client.list_summary_view_partitions(view.id, user_id="alice")
        assert [p.summary for p in listed] == [result.summary]

        # The server's embedded worker runs only tasks/collection.py's TASKS, so the full run is
        # shown in-process above; here, a task record read back through the client.
        redis = connect(redis_url)
        try:
            task = Task(view_id=view.id)
            await SummaryViewStore(redis, keys_for(prefix, redis)).put_task(
                task.id, task.model_dump(mode="json")
            )
        finally:
            await redis.aclose()
        polled = await client.get_task(task.id)
        assert polled is not None and polled.status == "pending" and polled.view_id == view.id
        assert await client.get_task("nope") is None

        assert (await client.delete_summary_view(view.id)).status == "ok"
        assert await client.get_summary_view(view.id) is None
