"""Redis keys of the maintenance jobs (compaction, forgetting), and their run-interval claim.

Kept apart from storage/keys.py so that the maintenance jobs can change without touching it.
"""

from __future__ import annotations

from redis.asyncio import Redis

from agent_memory_server.storage.keys import Keys, _part


def last_run(keys: Keys, job: str) -> str:
    """When `job` last started (epoch seconds); expires when its interval has passed."""
    return f"{keys.prefix}:maintenance:{_part(job)}:last_run"


def task(keys: Keys, job: str, namespace: str | None = None, user_id: str | None = None) -> str:
    """Docket task key: at most one queued run of `job` per scope."""
    ns = "-" if namespace is None else "n" + _part(namespace)
    user = "-" if user_id is None else "u" + _part(user_id)
    return f"{keys.prefix}:maintenance:{_part(job)}:{ns}:{user}"


async def claim_run(redis: Redis, key: str, now: float, interval_seconds: float) -> bool:
    """True (and the run is recorded) if no run started within the last `interval_seconds`.

    One atomic SET NX PX: of several workers ticking at once, exactly one wins.
    """
    claimed = await redis.set(key, now, nx=True, px=max(1, int(interval_seconds * 1000)))
    return bool(claimed)
