"""The embedded worker as a child process (EMBEDDED_WORKER_MODE=process, the default).

The server (API, MCP over HTTP or stdio) starts `python -m agent_memory_server task-worker
--embedded`: the same code path as a worker you run yourself, in a process of its own, so that
its Python work (JSON, Redis replies, NER and topic glue) does not hold the server's event loop
or GIL, and at nice 10, so that the kernel serves requests first on a small machine.

Parent and child talk over the child's stdin and stdout pipes:
- the parent writes its settings as one JSON line to stdin (with the Redis URL it uses, which
  is the embedded Redis it started: the child never starts one) and keeps stdin open; the
  child takes end of file as "the parent is gone" and stops (with PR_SET_PDEATHSIG on Linux
  too), so killing the parent leaves no worker behind;
- the child writes `ready` to stdout once its worker runs; it serves its Prometheus metrics on
  a port of 127.0.0.1 that the parent chose, which the parent's /metrics adds to its own.
The parent restarts a child that died, after a backoff (1 s doubling to 60 s), and stops it
with SIGTERM (then SIGKILL after a bound) when it stops itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import SecretStr

from agent_memory_server.config import Settings

logger = logging.getLogger(__name__)

READY_LINE = b"ready\n"
WORKER_NICE = 10
STOP_TIMEOUT_SECONDS = 30.0
FIRST_WAIT_SECONDS = 60.0
METRICS_TIMEOUT_SECONDS = 1.0
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
STABLE_SECONDS = 60.0  # a child that ran this long resets the backoff
_PR_SET_PDEATHSIG = 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _exit(code: int) -> str:
    return f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"


def settings_line(settings: Settings, redis_url: str) -> bytes:
    """The parent's settings as a JSON line for the child, secrets included, on `redis_url`."""
    values: dict[str, Any] = settings.model_dump(mode="json")
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values[name] = value.get_secret_value()
    values.update(redis_url=redis_url, host="127.0.0.1")
    return json.dumps(values).encode() + b"\n"


class WorkerProcess:
    """Keeps one worker child running while `run()` runs; `status()` for readiness."""

    runs_tasks_here = False

    def __init__(self, settings: Settings, redis_url: str) -> None:
        self._line = settings_line(settings, redis_url)
        self._concurrency = settings.worker_concurrency
        self._metrics_port = 0
        self._process: asyncio.subprocess.Process | None = None
        self._ready = False
        self._failures = 0
        self._last_exit: str | None = None

    @property
    def pid(self) -> int | None:
        """The running child's pid (None between children)."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    def status(self) -> str:
        """'ok' while the first child starts or runs (it starts once the server's model is
        loaded; tasks wait in the queue meanwhile); after a child died, the reason until its
        successor is ready."""
        process = self._process
        if self._failures == 0 and (process is None or process.returncode is None):
            return "ok"
        if process is None:
            return "the embedded worker process is not started"
        if process.returncode is None and self._ready:
            return "ok"
        how = _exit(process.returncode) if process.returncode is not None else self._last_exit
        return f"the embedded worker process {how}; restarting"

    async def metrics(self) -> bytes:
        """The child's Prometheus exposition (b"" while there is none to read)."""
        if self.pid is None or not self._ready:
            return b""
        try:
            async with asyncio.timeout(METRICS_TIMEOUT_SECONDS):
                reader, writer = await asyncio.open_connection("127.0.0.1", self._metrics_port)
                try:
                    writer.write(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    response = await reader.read()
                finally:
                    writer.close()
        except (OSError, TimeoutError):
            return b""
        head, _, body = response.partition(b"\r\n\r\n")
        return body if head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200") else b""

    async def run(self, first: Callable[[], Awaitable[None]] | None = None) -> None:
        """Start the child once `first` is done (the server's start-up: waited for up to
        FIRST_WAIT_SECONDS, its failure ignored), and again whenever it dies, until cancelled."""
        if first is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(FIRST_WAIT_SECONDS):
                    await first()
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            started = time.monotonic()
            self._last_exit = _exit(await self._run_once())
            self._failures += 1
            if time.monotonic() - started >= STABLE_SECONDS:
                backoff = FIRST_BACKOFF_SECONDS
            logger.error(
                "the embedded worker process %s; restarting it in %g s", self._last_exit, backoff
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def _run_once(self) -> int:
        self._ready = False
        self._metrics_port = _free_port()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "agent_memory_server", "task-worker", "--embedded",
            "--concurrency", str(self._concurrency), "--metrics-port", str(self._metrics_port),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C to the terminal reaches the server, which stops it
        )  # fmt: skip
        self._process = process
        logger.info("embedded worker process %d started", process.pid)
        assert process.stdin is not None and process.stdout is not None
        with contextlib.suppress(OSError):
            process.stdin.write(self._line)
        async for line in process.stdout:
            if line == READY_LINE and not self._ready:
                self._ready = True
                if self._failures:
                    logger.info("embedded worker process %d is back", process.pid)
        code = await process.wait()
        process.stdin.close()
        return code

    async def stop(self) -> None:
        """SIGTERM to the child, waited for up to STOP_TIMEOUT_SECONDS, then SIGKILL."""
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
            except TimeoutError:
                logger.warning("the embedded worker process did not stop in time; killing it")
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if process.stdin is not None:
            process.stdin.close()


def supervise(
    settings: Settings, redis_url: str, first: Callable[[], Awaitable[None]] | None = None
) -> tuple[WorkerProcess, asyncio.Task[None]]:
    """A WorkerProcess and the task that keeps it running, started after `first` (cancel the
    task, then `stop()` the process)."""
    worker = WorkerProcess(settings, redis_url)
    return worker, asyncio.create_task(worker.run(first), name="embedded-worker-process")


# --- the child's side --------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: SIGTERM to this process when its parent dies (the stdin watch covers the rest)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _lower_priority() -> None:
    """Nice WORKER_NICE for this process: its threads so far (Linux nice values are per
    thread) and those started from now on, which inherit it."""
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICE)
    _each_thread(lambda tid: os.setpriority(os.PRIO_PROCESS, tid, WORKER_NICE))


def _each_thread(apply: Callable[[int], None]) -> None:
    """`apply` to every thread of this process so far (Linux: nice values and CPU affinity
    are per thread; threads started later inherit them from the one that starts them)."""
    with contextlib.suppress(OSError):
        for tid in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError, ValueError):
                apply(int(tid))


def _watch_stdin(on_parent_gone: Callable[[], None]) -> None:
    def watch() -> None:
        # The raw descriptor, not sys.stdin.buffer: a daemon thread blocked in the buffered
        # reader holds its lock, and the interpreter's shutdown then dies with "Fatal Python
        # error: could not acquire lock for <stdin>" (an abort instead of a clean exit).
        with contextlib.suppress(OSError):
            while os.read(sys.stdin.fileno(), 65536):
                pass
        on_parent_gone()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def child_settings() -> Settings:
    """In the child: the parent's settings from stdin; lower priority, watch the parent."""
    parent = os.getppid()
    _die_with_parent()
    line = sys.stdin.buffer.readline()
    if not line or os.getppid() != parent:  # the parent died before or while we started
        raise SystemExit(0)
    _lower_priority()
    _watch_stdin(lambda: os.kill(os.getpid(), signal.SIGTERM))
    settings = Settings(**json.loads(line))
    confine_to_cores(settings.embedded_worker_cores)
    return settings


def confine_to_cores(count: int) -> set[int] | None:
    """Run this process's threads, and those they start, on the last `count` of the cores it
    may use (None: not confined: `count` 0, as many cores as that or more, or not Linux).

    Priority alone did not keep the worker's model work from slowing the requests' own on a
    small machine (nice 10, 19 and SCHED_IDLE alike: docs/benchmarks/vs-reference.md); a core
    the worker never runs on did."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return None
    if count <= 0 or count >= len(allowed):
        return None
    cores = set(allowed[-count:])
    _each_thread(lambda tid: os.sched_setaffinity(tid, cores))
    return cores


def announce_ready() -> None:
    """In the child: tell the parent the worker runs."""
    with contextlib.suppress(OSError):
        os.write(sys.stdout.fileno(), READY_LINE)
