"""The periodic jobs' run-interval claims: at most one run of a job per interval, across every
worker and restart."""

from __future__ import annotations

from redis.asyncio import Redis

from agent_memory_server.storage.keys import Keys


class JobStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def task_key(self, job: str, namespace: str | None = None, user_id: str | None = None) -> str:
        """The scheduler's task key of `job`: at most one queued run per scope."""
        return self.keys.job_task(job, namespace, user_id)

    async def claim_run(self, job: str, now: float, interval_seconds: float) -> bool:
        """True (and the run is recorded) if no run of `job` started in the last
        `interval_seconds`. One atomic SET NX PX: of several workers ticking at once, exactly
        one wins."""
        key = self.keys.job_last_run(job)
        px = max(1, int(interval_seconds * 1000))
        return bool(await self.redis.set(key, now, nx=True, px=px))
