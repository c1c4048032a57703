"""Models built in the background: a process that stops meanwhile lets the build end first.

A daemon thread still inside onnxruntime when the interpreter shuts down aborts the process
(SIGABRT, "terminate called without an active exception"): `docker stop` on a task worker
that was still loading its embedding session exited -6 instead of 0. The build thread is
therefore not a daemon; these tests check that an exiting process waits for it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agent_memory_server.providers.warm import Warm

_BUILD_THEN_EXIT = """
import sys, time
from pathlib import Path
from agent_memory_server.providers.warm import Warm

def build():
    time.sleep(1.0)
    Path(sys.argv[1]).write_text("done")

Warm(build, "test model").start()
time.sleep(0.1)  # the build is under way; the main thread ends here
"""


def test_a_process_exits_after_the_build_it_started(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _BUILD_THEN_EXIT, str(tmp_path / "built")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "built").read_text() == "done"


def test_a_process_stopping_while_the_embedder_loads_exits_cleanly(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from agent_memory_server.providers.embeddings import LocalMiniLM
        LocalMiniLM(sys.argv[1], None, 32).warm()
        while "agent_memory_server.providers.minilm_onnx" not in sys.modules:
            time.sleep(0.002)
        time.sleep(float(sys.argv[2]))  # now inside the graph build or onnxruntime's session
        """
    )
    # The abort needed the exit to land inside onnxruntime: a few moments, each must exit 0.
    for delay in ("0", "0.05", "0.1", "0.2"):
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "models"), delay],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"exit {done.returncode} at {delay} s: {done.stderr[-2000:]}"


async def test_a_build_error_reaches_every_caller() -> None:
    def build() -> int:
        raise ValueError("weights missing")

    warm: Warm[int] = Warm(build, "test model")
    warm.start()
    for _ in range(2):
        with pytest.raises(ValueError, match="weights missing"):
            await warm.get()


async def test_a_cancelled_waiter_leaves_the_build_to_the_others() -> None:
    def build() -> str:
        time.sleep(0.3)
        return "model"

    warm: Warm[str] = Warm(build, "test model")
    waiter = asyncio.create_task(warm.get())
    await asyncio.sleep(0.05)
    waiter.cancel()  # e.g. a request whose client went away while the model loaded
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert await warm.get() == "model"
    assert warm.ready
