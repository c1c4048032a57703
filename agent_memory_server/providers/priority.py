"""Model work of background tasks runs at a lower CPU priority than the requests being served.

The embedded worker shares the API's process and, on a small machine, its cores: embedding,
NER and topic work for a backlog of writes would otherwise slow every request. Tasks run with
`mark_background()` in their context (the worker sets it); their blocking model calls go to
one thread whose nice value is raised (Linux: per thread), and the local embedder gives them a
session of their own whose compute threads inherit that priority. Requests keep the default
priority, so the scheduler serves them first and the backlog uses what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

BACKGROUND_NICE = 10
_background: ContextVar[bool] = ContextVar("agent_memory_background", default=False)
_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def mark_background() -> None:
    """Model calls made from this context on are background work."""
    _background.set(True)


def in_background() -> bool:
    return _background.get()


def lower_thread_priority() -> None:
    """Raise the calling thread's nice value (threads it creates inherit it); Linux only."""
    with contextlib.suppress(OSError, AttributeError):
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), max(current, BACKGROUND_NICE))


def _background_executor() -> ThreadPoolExecutor:
    global _executor  # noqa: PLW0603 - one low-priority thread per process
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="background-models",
                initializer=lower_thread_priority,
            )  # fmt: skip
        return _executor


async def run_model(call: Callable[..., T], *args: object) -> T:
    """Run a blocking model call off the event loop: at low priority for background work."""
    if in_background():
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_background_executor(), call, *args)
    return await asyncio.to_thread(call, *args)
