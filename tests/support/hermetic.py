"""Tests see none of the caller's configuration, and other small shared helpers.

`Settings` reads environment variables (case-insensitively) and a `.env` file in the working
directory, and the OpenAI and Anthropic SDKs fall back to variables of their own: a developer's
`AUTH_MODE=token` or `EMBEDDING_PROVIDER=openai` would change what the tests exercise.
So `tests/conftest.py` calls `scrub_environment()` before any test runs (the test process and
every child process it starts then see none of them), and the fixtures build `TestSettings`,
which reads only the values given to it and the defaults.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from agent_memory_server.config import Settings

# Every variable Settings reads (case-insensitive), and those the libraries we call read on
# their own: the OpenAI and Anthropic SDKs (keys, base URLs), tiktoken's cache directory.
SETTINGS_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)
LIBRARY_PREFIXES = ("OPENAI_", "ANTHROPIC_")
LIBRARY_VARIABLES = frozenset({"TIKTOKEN_CACHE_DIR"})

# The working directory of the `agent-memory` processes the tests start: `Settings` would read
# a `.env` file there (and `python -m` puts it first on sys.path), so it is an empty one.
CHILD_CWD = Path(tempfile.mkdtemp(prefix="ams-tests-cwd-"))
atexit.register(shutil.rmtree, CHILD_CWD, True)


def is_configuration(variable: str) -> bool:
    """Whether `variable` would configure the server or one of its model SDKs."""
    name = variable.upper()
    return (
        name in SETTINGS_VARIABLES or name in LIBRARY_VARIABLES or name.startswith(LIBRARY_PREFIXES)
    )


def scrub_environment(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Remove every configuring variable from `environ`; returns what was removed."""
    removed = {name: environ[name] for name in list(environ) if is_configuration(name)}
    for name in removed:
        del environ[name]
    return removed


class TestSettings(Settings):
    """Settings from the values given and the defaults only: no environment, no `.env`."""

    __test__ = False  # not a test class, whatever pytest makes of the name

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
