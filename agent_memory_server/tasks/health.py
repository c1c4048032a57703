"""Healthcheck of a task-worker container: `python -m agent_memory_server.tasks.health`.

Exits 0 when a worker on this host sent the docket a heartbeat within Docket's liveness
window (its heartbeat interval times the heartbeats it may miss, 10 s by default), else 1
with the reason on stderr. Docket names workers `<hostname>#<pid>`, and a container's
hostname is its own. Only the settings and Redis are read (no models are loaded), so the
check is cheap enough to run every few seconds. It needs REDIS_URL: a worker on the
embedded Redis runs next to its API, not in a container of its own.
"""

from __future__ import annotations

import asyncio
import socket
import sys

from docket import Docket
from redis.exceptions import RedisError

from agent_memory_server.config import Settings
from agent_memory_server.errors import ConfigurationError


async def worker_alive(settings: Settings, host: str) -> bool:
    """Whether a worker named `<host>#...` is among the docket's live workers."""
    url = settings.task_queue_redis_url or settings.redis_url
    if url is None:
        raise ConfigurationError("the worker healthcheck needs REDIS_URL (or TASK_QUEUE_REDIS_URL)")
    async with Docket(name=settings.docket, url=url) as docket:
        return any(worker.name.startswith(f"{host}#") for worker in await docket.workers())


def main() -> int:
    host = socket.gethostname()
    try:
        alive = asyncio.run(worker_alive(Settings(), host))
    except (ConfigurationError, RedisError, OSError) as e:
        print(f"unhealthy: {e}", file=sys.stderr)
        return 1
    if not alive:
        print(f"unhealthy: no live task worker of host {host!r} on the docket", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
