"""The tests see none of the caller's configuration (tests/support/hermetic.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hermetic import CHILD_CWD, TestSettings, is_configuration, scrub_environment


def test_no_configuring_variable_reaches_the_tests() -> None:
    # TIKTOKEN_CACHE_DIR is exempt: the server itself sets it (to its data directory) when it
    # seeds tiktoken's files, so an earlier test may have; the caller's was removed.
    found = [n for n in os.environ if is_configuration(n) and n != "TIKTOKEN_CACHE_DIR"]
    assert found == []


def test_scrub_removes_settings_in_any_case_and_the_sdks_variables() -> None:
    environ = {
        "AUTH_MODE": "token",
        "embedding_provider": "openai",
        "OPENAI_API_KEY": "sk-x",
        "ANTHROPIC_BASE_URL": "http://x",
        "TIKTOKEN_CACHE_DIR": "/x",
        "PATH": "/bin",
        "HOME": "/home/me",
    }
    removed = scrub_environment(environ)
    assert environ == {"PATH": "/bin", "HOME": "/home/me"}
    assert set(removed) == {
        "AUTH_MODE",
        "embedding_provider",
        "OPENAI_API_KEY",
        "ANTHROPIC_BASE_URL",
        "TIKTOKEN_CACHE_DIR",
    }


def test_test_settings_read_no_environment_and_no_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUTH_MODE", "token")
    monkeypatch.setenv("EMBEDDING_PROVIDER", "openai")
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\nKEY_PREFIX=fromdotenv\n")
    monkeypatch.chdir(tmp_path)
    settings = TestSettings(key_prefix="given")
    assert settings.auth_mode == "none"
    assert settings.embedding_provider == "local"
    assert settings.log_level == "INFO"
    assert settings.key_prefix == "given"


def test_child_processes_start_where_no_env_file_is() -> None:
    assert list(CHILD_CWD.iterdir()) == []
    code = "from agent_memory_server.config import Settings; print(Settings().auth_mode)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=CHILD_CWD, env=dict(os.environ),
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "none"
