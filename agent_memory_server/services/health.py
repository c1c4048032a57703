"""Readiness: can this process serve requests and get its background work done?"""

from __future__ import annotations

import asyncio
from typing import Protocol

from redis.exceptions import RedisError

from agent_memory_server.models.health import ReadinessResponse
from agent_memory_server.resources import Resources


class EmbeddedWorker(Protocol):
    """The server's own worker (tasks/worker.py): 'ok', or what is wrong with it."""

    def status(self) -> str: ...


CHECK_TIMEOUT_SECONDS = 2.0


async def _redis(resources: Resources) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await resources.meta.ping()
    except TimeoutError:
        return f"no answer to PING in {CHECK_TIMEOUT_SECONDS:g} s"
    except (RedisError, OSError) as e:
        return f"unreachable: {e}"
    return "ok"


async def _worker(resources: Resources, embedded: EmbeddedWorker | None) -> str:
    if resources.settings.embedded_worker:
        return "the embedded worker is not started" if embedded is None else embedded.status()
    docket = resources.docket
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            workers = await docket.workers()
    except TimeoutError:
        return f"docket {docket.name!r}: no answer in {CHECK_TIMEOUT_SECONDS:g} s"
    except (RedisError, OSError) as e:
        return f"docket {docket.name!r}: cannot list workers: {e}"
    if not workers:
        return (
            f"no live worker on docket {docket.name!r} (EMBEDDED_WORKER=false: start "
            "`agent-memory task-worker`)"
        )
    return "ok"


async def readiness(
    resources: Resources, embedded_worker: EmbeddedWorker | None
) -> ReadinessResponse:
    """Redis answers PING and a worker is there to run tasks.

    Args:
        embedded_worker: the server's own worker (its child process, or its task with
            EMBEDDED_WORKER_MODE=inline), checked with EMBEDDED_WORKER=true; with it
            false, workers are separate processes, found by their Docket heartbeats.
    """
    redis, worker = await asyncio.gather(_redis(resources), _worker(resources, embedded_worker))
    checks = {"redis": redis, "worker": worker}
    ready = all(value == "ok" for value in checks.values())
    return ReadinessResponse(status="ready" if ready else "not ready", checks=checks)
