"""Run a real Docket worker, periodic jobs included, until a condition holds (or time runs out)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from agent_memory_server.resources import Resources
from agent_memory_server.tasks.context import bind_resources
from agent_memory_server.tasks.worker import create_worker


async def run_worker_until(
    resources: Resources, done: Callable[[], Awaitable[bool]], seconds: float = 30
) -> None:
    """A worker with the automatic periodic jobs runs until `done()` or `seconds` pass.

    The caller asserts the outcome afterwards: running out of time is not an error here.
    """
    bind_resources(resources)
    async with create_worker(resources, 2) as worker:
        running = asyncio.create_task(worker.run_forever())
        try:
            for _ in range(int(seconds * 10)):
                if await done():
                    return
                await asyncio.sleep(0.1)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
