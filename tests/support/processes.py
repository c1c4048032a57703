"""`agent-memory` child processes of the tests: their environment and one way to run them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from agent_memory_server.config import Settings
from tests.support.hermetic import CHILD_CWD, free_port

# How long a server process may take to answer: it imports FastAPI, FastMCP, onnxruntime and
# loads the local models, 5-10 s of CPU that took 25-62 s on the shared 2-core machine at load
# average 9-13. Start-up speed is measured by benchmarks, not asserted here.
SERVER_START_SECONDS = 180


def process_env(settings: Settings, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process on the test's Redis and key prefix, without an LLM
    (`extra` adds or overrides variables); conftest removed the caller's configuration."""
    return {
        **os.environ, "REDIS_URL": str(settings.redis_url), "KEY_PREFIX": settings.key_prefix,
        "DATA_DIR": str(data_dir), "LLM_PROVIDER": "none", **extra,
    }  # fmt: skip


async def run_cli(
    env: dict[str, str], *args: str, module: str = "agent_memory_server", seconds: float = 120
) -> tuple[int, bytes, str]:
    """Run `python -m module args...` to its end: exit code, stdout, stderr (decoded)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, cwd=CHILD_CWD, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=seconds)
    return process.returncode or 0, out, err.decode()


def start_api(
    redis_url: str, data_dir: Path, log: Path, *, ready_path: str = "/v1/health", **env: str
) -> tuple[subprocess.Popen[bytes], str]:
    """Spawn `agent-memory api` on a free port, its stderr in `log`, on a fresh key prefix and
    without an LLM (`env` adds or overrides variables); returns once `ready_path` answers 200.
    The caller stops the process (a failed start kills it here)."""
    port = free_port()
    child_env = {
        **os.environ, "REDIS_URL": redis_url, "DATA_DIR": str(data_dir),
        "KEY_PREFIX": f"p{uuid.uuid4().hex[:10]}", "LLM_PROVIDER": "none", **env,
    }  # fmt: skip
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "agent_memory_server", "api", "--port", str(port)],
            cwd=CHILD_CWD, env=child_env, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    try:
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"no answer in {SERVER_START_SECONDS} s"
            try:
                if httpx.get(f"{url}{ready_path}", timeout=1).status_code == 200:
                    return process, url
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    except BaseException:
        process.kill()
        process.wait()
        raise
