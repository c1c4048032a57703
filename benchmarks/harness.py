"""Start Redis and the API as a user would, for the benchmarks: `with running_server() as s:`."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from agent_memory_server.storage.embedded import EmbeddedRedis, _free_port

KEY_PREFIX = "bench"


@dataclass(frozen=True)
class Server:
    url: str
    redis_url: str
    key_prefix: str = KEY_PREFIX
    pid: int = 0


@contextmanager
def running_server(code: Path | None = None, **env_overrides: str) -> Iterator[Server]:
    """Embedded Redis on a fresh data dir and `agent-memory api` on a free port.

    `code`: run the server from this source tree (another version) instead of the installed one.
    """
    with tempfile.TemporaryDirectory(prefix="ams-bench-") as tmp:
        redis_server = EmbeddedRedis(Path(tmp) / "redis")
        redis_url = redis_server.start()
        port = _free_port()
        env = {
            **os.environ, "REDIS_URL": redis_url, "DATA_DIR": tmp, "LOG_LEVEL": "WARNING",
            "KEY_PREFIX": KEY_PREFIX, "LLM_PROVIDER": "none", **env_overrides,
        }  # fmt: skip
        if code is not None:  # `python -m` imports from the working directory first
            env["PYTHONPATH"] = str(code)
        process = subprocess.Popen(
            [sys.executable, "-m", "agent_memory_server", "api", "--port", str(port)], env=env,
            cwd=code,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 600
            while True:
                try:
                    if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.1)
            yield Server(url, env["REDIS_URL"], env["KEY_PREFIX"], process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
            redis_server.stop()
