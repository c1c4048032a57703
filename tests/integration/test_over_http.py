"""The API on a real socket (uvicorn in a thread of the test process): concurrency, the
published client, and a separate `agent-memory task-worker` process doing the API's work."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from agent_memory_client import MemoryAPIClient, MemoryClientConfig
from agent_memory_client.exceptions import MemoryNotFoundError
from agent_memory_client.models import MemoryMessage, WorkingMemory

from agent_memory_server.config import Settings
from tests.support.hermetic import CHILD_CWD
from tests.support.processes import process_env


async def test_fifty_clients_appending_lose_nothing(
    serve_app: Callable[[Settings], str], make_settings: Callable[..., Settings]
) -> None:
    url = serve_app(make_settings(embedded_worker=True))
    limits = httpx.Limits(max_connections=50)

    async def client(n: int) -> None:
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
            for i in range(20):
                message = {"role": "user", "content": f"client {n} message {i}"}
                response = await http.post("/sessions/busy/memory", json={"messages": [message]})
                assert response.status_code == 200, response.text

    await asyncio.gather(*(client(n) for n in range(50)))
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        memory = (await http.get("/sessions/busy/memory")).json()
    contents = [m["content"] for m in memory["messages"]]
    assert len(contents) == 1000
    assert len(set(contents)) == 1000
    assert len({m["id"] for m in memory["messages"]}) == 1000
    for n in range(50):  # each client's messages kept their order
        own = [c for c in contents if c.startswith(f"client {n} ")]
        assert own == [f"client {n} message {i}" for i in range(20)]


async def test_agent_memory_client_working_memory(
    serve_app: Callable[[Settings], str], make_settings: Callable[..., Settings]
) -> None:
    url = serve_app(make_settings(embedded_worker=True))
    config = MemoryClientConfig(base_url=url, default_namespace="demo")
    async with MemoryAPIClient(config) as client:
        health = await client.health_check()
        assert health.now > 1.7e12

        created, memory = await client.get_or_create_working_memory("s1", user_id="u1")
        assert created is True
        assert memory.session_id == "s1"
        created_again, _ = await client.get_or_create_working_memory("s1", user_id="u1")
        assert created_again is False

        wm = WorkingMemory(
            session_id="s1",
            namespace="demo",
            user_id="u1",
            messages=[MemoryMessage(role="user", content="I like green tea")],
        )
        put = await client.put_working_memory("s1", wm, user_id="u1", model_name="gpt-4o-mini")
        assert put.messages[0].content == "I like green tea"
        assert put.context_percentage_total_used is not None

        appended = await client.append_messages_to_working_memory(
            "s1", [{"role": "assistant", "content": "Green tea noted."}], user_id="u1"
        )
        assert [m.content for m in appended.messages] == ["I like green tea", "Green tea noted."]

        with_data = await client.set_working_memory_data("s1", {"theme": "dark"})
        assert with_data.data == {"theme": "dark"}
        assert len(with_data.messages) == 2  # preserve_existing kept the conversation

        got = await client.get_working_memory("s1", namespace="demo")
        assert got.data == {"theme": "dark"}
        assert got.user_id == "u1"

        sessions = await client.list_sessions(namespace="demo")
        assert sessions.sessions == ["s1"] and sessions.total == 1

        assert (await client.delete_working_memory("s1")).status == "ok"
        with pytest.raises(MemoryNotFoundError):
            await client.get_working_memory("s1")


async def test_separate_task_worker_process_summarizes(
    serve_app: Callable[[Settings], str], make_settings: Callable[..., Settings],
    shared_data_dir: Path,
) -> None:  # fmt: skip
    """EMBEDDED_WORKER=false on the API, and an `agent-memory task-worker` process does the work."""
    settings = make_settings(embedded_worker=False)
    url = serve_app(settings)
    messages = [
        {"role": "user", "content": f"turn {i}: the meeting moved to room {i}."} for i in range(80)
    ]
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        put = await http.put(
            "/v1/working-memory/w", json={"messages": messages}, params={"context_window_max": 500}
        )
        assert put.status_code == 200
        env = process_env(settings, shared_data_dir)
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "agent_memory_server", "task-worker", "--concurrency", "2",
            cwd=CHILD_CWD, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            got: dict[str, object] = {}
            for _ in range(300):
                got = (await http.get("/v1/working-memory/w")).json()
                if got["context"]:
                    break
                await asyncio.sleep(0.1)
        finally:
            worker.terminate()
            await asyncio.wait_for(worker.wait(), timeout=60)
        assert got["context"], "the worker process did not summarize"
        assert len(got["messages"]) < 80  # type: ignore[arg-type]
