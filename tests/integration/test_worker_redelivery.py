"""A worker killed mid-task: the task is redelivered to another worker and completes once."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent_memory_server.config import Settings
from tests.support.hermetic import CHILD_CWD
from tests.support.llm_stub import LLMStub
from tests.support.processes import process_env


async def _worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "agent_memory_server", "task-worker", "--concurrency", "2",
        "--redelivery-timeout", "3", cwd=CHILD_CWD, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def test_killed_worker_task_is_redelivered_and_completes_once(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub, shared_data_dir: Path
) -> None:
    llm_stub.state.reply = json.dumps(
        {"memories": [{"type": "semantic", "text": "Kim owns a red kayak."}]}
    )
    llm_stub.state.delay = 4.0  # the first worker is killed while it waits for the LLM
    settings = make_settings(llm_provider="openai", openai_base_url=llm_stub.base_url)
    env = process_env(
        settings,
        shared_data_dir,
        LLM_PROVIDER="openai",
        OPENAI_BASE_URL=llm_stub.base_url,
        LOG_LEVEL="WARNING",
    )
    async with start_app(settings) as app:
        messages = [{"role": "user", "content": "I keep my red kayak at the lake house."}]
        await app.http.put("/v1/working-memory/k", json={"messages": messages, "user_id": "kim"})
        first = await _worker(env)
        for _ in range(300):  # until the first worker is inside the task, waiting for the LLM
            if llm_stub.chat_requests():
                break
            await asyncio.sleep(0.1)
        assert llm_stub.chat_requests(), "the first worker never started the task"
        first.send_signal(signal.SIGKILL)
        await first.wait()
        llm_stub.state.delay = 0.0

        second = await _worker(env)
        try:
            session: dict[str, Any] = {}
            for _ in range(600):
                session = (await app.http.get("/v1/working-memory/k")).json()
                if (session.get("extraction_status") or {}).get("state") == "done":
                    break
                await asyncio.sleep(0.1)
        finally:
            second.terminate()
            await second.wait()
        assert session["extraction_status"]["state"] == "done"
        assert session["messages"][0]["discrete_memory_extracted"] == "t"
        found = await app.http.post("/v1/long-term-memory/search", json={"text": "", "limit": 100})
        assert [m["text"] for m in found.json()["memories"]] == ["Kim owns a red kayak."]
        assert len(llm_stub.chat_requests()) >= 2  # the killed attempt and the redelivered one
