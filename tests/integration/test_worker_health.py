"""A task-worker process as a container runs it: healthy while it runs, gone on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from agent_memory_server.config import Settings
from agent_memory_server.tasks.health import worker_alive
from tests.support.hermetic import CHILD_CWD
from tests.support.processes import process_env, run_cli


async def _healthcheck(env: dict[str, str]) -> tuple[int, str]:
    code, _, err = await run_cli(env, module="agent_memory_server.tasks.health", seconds=60)
    return code, err


async def test_worker_healthcheck_and_graceful_stop(
    make_settings: Callable[..., Settings], shared_data_dir: Path
) -> None:
    settings = make_settings()
    env = process_env(settings, shared_data_dir, ENTITY_EXTRACTION="none")
    host = socket.gethostname()
    code, err = await _healthcheck(env)
    assert code == 1 and "no live task worker" in err

    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "agent_memory_server", "task-worker", cwd=CHILD_CWD, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not await worker_alive(settings, host):
            assert worker.returncode is None, "the worker exited"
            assert time.monotonic() < deadline, "no heartbeat from the worker in 90 s"
            await asyncio.sleep(0.2)
        assert await _healthcheck(env) == (0, "")
        worker.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(worker.communicate(), timeout=60)
        assert worker.returncode == 0, err.decode()[-3000:]
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert not await worker_alive(settings, host)  # it left the docket on its way out
