"""Facts about the deployment itself: which embedder wrote the long-term vectors, which schema
migrations have run, and whether Redis answers."""

from __future__ import annotations

from redis.asyncio import Redis

from agent_memory_server.storage.keys import Keys


class MetaStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def ping(self) -> None:
        """Raises RedisError or OSError when Redis does not answer."""
        await self.redis.ping()

    async def embedder_name(self) -> str | None:
        """The name of the embedder recorded for the long-term index, None if none is."""
        raw = await self.redis.get(self.keys.embedder_info)
        return raw.decode() if isinstance(raw, bytes) else raw

    async def set_embedder_name(self, name: str) -> None:
        await self.redis.set(self.keys.embedder_info, name)

    async def schema_version(self) -> int:
        """The last schema migration applied (0: none)."""
        raw = await self.redis.get(self.keys.schema_version)
        return int(raw) if raw is not None else 0

    async def set_schema_version(self, version: int) -> None:
        await self.redis.set(self.keys.schema_version, version)
