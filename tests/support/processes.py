"""`agent-memory` child processes of the tests: their environment and one way to run them."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from agent_memory_server.config import Settings
from tests.support.hermetic import CHILD_CWD

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
