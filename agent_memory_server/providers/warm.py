"""Models loaded after the server is ready: built once in a background thread, awaited by users.

Loading the local models (onnxruntime and the MiniLM graph, spaCy's NER pipeline) takes
seconds; a server that waited for them before listening would make every client wait. A
`Warm` value starts building in a thread when `start()` is called (the server calls it once it
is ready), and a request that needs it before then waits for the build rather than failing; a
build error is raised to each such request.

The thread is not a daemon: a process that stops while a model loads (`docker stop` right
after start) waits for the load to end before it exits. A daemon thread inside onnxruntime
when the interpreter shuts down aborts the process (SIGABRT, "terminate called without an
active exception") instead of the clean exit a container runtime expects.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Warm(Generic[T]):
    """A value built once, in a thread of its own, on `start()` or on first use."""

    def __init__(self, build: Callable[[], T], what: str) -> None:
        self._build = build
        self._what = what
        self._future: Future[T] = Future()
        self._lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        """Begin building in a (non-daemon) thread (again: no-op)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name=f"warm-{self._what}", daemon=False).start()

    def _run(self) -> None:
        begin = time.perf_counter()
        try:
            value = self._build()
        except BaseException as e:  # handed to every caller of get()
            logger.error("loading %s failed: %s", self._what, e)
            self._future.set_exception(e)
            return
        logger.info("%s loaded in %.1f s", self._what, time.perf_counter() - begin)
        self._future.set_result(value)

    @property
    def ready(self) -> bool:
        return self._future.done()

    async def get(self) -> T:
        """The value; starts the build if nobody has, and waits for it without blocking the loop."""
        if self._future.done():
            return self._future.result()
        self.start()
        # Shielded: a waiter that is cancelled (a client gone, a start-up deadline) must not
        # cancel the one build every other caller waits for.
        return await asyncio.shield(asyncio.wrap_future(self._future))

    def wait(self) -> T:
        """The value, blocking this thread until it is built (for synchronous callers)."""
        self.start()
        return self._future.result()
