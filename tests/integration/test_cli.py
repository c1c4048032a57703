"""The `agent-memory` command line."""

from __future__ import annotations

import subprocess
import sys

from agent_memory_server import __version__
from tests.support.cli import invoke


def test_version_and_help() -> None:
    version = invoke({}, "version")
    assert version.exit_code == 0 and version.stdout.strip() == __version__
    help_text = invoke({}, "--help").stdout
    for command in ("api", "mcp", "task-worker", "version"):
        assert command in help_text


def test_api_refuses_a_redis_without_modules_with_a_clear_message(bare_redis_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agent_memory_server", "api", "--port", "1"],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "REDIS_URL": bare_redis_url, "HOME": "/tmp"},
    )  # fmt: skip
    assert result.returncode != 0
    assert "RediSearch" in result.stderr and "RedisJSON" in result.stderr
