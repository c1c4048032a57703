"""The `agent-memory` command run in the test process (typer's CliRunner), as a child process
would run it: from an empty working directory (no `.env`), on the given environment, and
leaving the test process's logging as it found it."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from typer.testing import CliRunner, Result

from agent_memory_server.cli import app
from tests.support.hermetic import CHILD_CWD


def invoke(env: Mapping[str, str], *args: str, input: bytes | str | None = None) -> Result:
    """`agent-memory args...` with `env` set; its exit code, stdout and stderr in the result.

    Not inside a running event loop (the commands call asyncio.run): an async test runs it with
    `await asyncio.to_thread(invoke, ...)`."""
    root = logging.getLogger()
    handlers, level, cwd = list(root.handlers), root.level, os.getcwd()
    os.chdir(CHILD_CWD)
    try:
        return CliRunner().invoke(app, list(args), env=dict(env), input=input)
    finally:
        os.chdir(cwd)
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)  # it writes to the runner's stream, closed by now
        root.setLevel(level)
        logging.captureWarnings(False)
