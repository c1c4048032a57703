"""Background model work runs at a lower CPU priority than requests (providers/priority.py)."""

from __future__ import annotations

import asyncio
import os
import threading

from agent_memory_server.providers.priority import BACKGROUND_NICE, mark_background, run_model


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


async def test_model_calls_of_background_tasks_run_in_a_lower_priority_thread() -> None:
    foreground = await run_model(_nice)

    async def task() -> int:  # a worker's task: its context is marked, the caller's is not
        mark_background()
        return await run_model(_nice)

    background = await asyncio.create_task(task())
    assert background >= BACKGROUND_NICE > foreground
    assert await run_model(_nice) == foreground  # the mark did not leak into this context
