"""redisvl's AsyncSearchIndex, raising a lost connection as redis-py raises it, and routing
every index command by the index name on a Redis Cluster.

redisvl wraps every Redis error of a search in its own RedisSearchError, so a refused or
dropped connection would reach the doors as an unknown error (a 500). The doors answer
redis-py's connection errors as BackendUnavailable (503, retry); this subclass hands them on
unwrapped and leaves every other error as it was.

Without a search coordinator (Redis OSS Cluster), an index lives on the shard that owns its
name's slot and sees that shard's documents only; our index names and document prefixes share
a hash tag (storage/keys.py). redisvl's cluster paths send FT.INFO, FT.CREATE and FT.DROPINDEX
to a random or default node; on a cluster this subclass sends them, and searches, to the node
that owns the index name (redis-py routes FT.* commands by their index argument).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redis.asyncio import RedisCluster
from redis.commands.search.index_definition import IndexDefinition
from redis.exceptions import ResponseError
from redisvl.exceptions import RedisVLError
from redisvl.index import AsyncSearchIndex
from redisvl.redis.utils import convert_bytes, make_dict

from agent_memory_server.errors import UNREACHABLE


@contextmanager
def _unwrapped() -> Iterator[None]:
    try:
        yield
    except RedisVLError as e:
        if isinstance(e.__cause__, UNREACHABLE):
            raise e.__cause__ from e
        raise


def _missing(error: ResponseError) -> bool:
    text = str(error).lower()
    return "unknown index" in text or "no such index" in text or "not found" in text


class SearchIndex(AsyncSearchIndex):  # type: ignore[misc]  # redisvl's stubs type it Any
    @property
    def _cluster(self) -> RedisCluster | None:
        client = self._redis_client
        return client if isinstance(client, RedisCluster) else None

    async def exists(self) -> bool:
        cluster = self._cluster
        if cluster is None:
            return bool(await super().exists())
        try:
            info = await self.info()
        except ResponseError as e:
            if _missing(e):
                return False
            raise
        return bool(info.get("index_name") == self.name)

    async def info(self, name: str | None = None) -> dict[str, Any]:
        cluster = self._cluster
        if cluster is None:
            return dict(await super().info(name))
        values = await cluster.execute_command("FT.INFO", name or self.name)
        return dict(convert_bytes(make_dict(values)))

    async def create(self, overwrite: bool = False, drop: bool = False) -> None:
        cluster = self._cluster
        if cluster is None:
            await super().create(overwrite=overwrite, drop=drop)
            return
        if await self.exists():
            if not overwrite:
                return
            await self.delete(drop)
        prefix = self.schema.index.prefix
        definition = IndexDefinition(  # type: ignore[no-untyped-call]
            prefix=prefix if isinstance(prefix, list) else [prefix],
            index_type=self._storage.type,
        )
        await cluster.ft(self.name).create_index(
            fields=self.schema.redis_fields, definition=definition,
            stopwords=self.schema.index.stopwords,
        )  # fmt: skip

    async def delete(self, drop: bool = True) -> None:
        cluster = self._cluster
        if cluster is None:
            await super().delete(drop)
            return
        # The documents share the index name's slot: DD deletes them all on that shard.
        await cluster.execute_command("FT.DROPINDEX", self.name, *(["DD"] if drop else []))

    async def search(self, *args: Any, **kwargs: Any) -> Any:
        cluster = self._cluster
        if cluster is not None:
            return await cluster.ft(self.name).search(*args, **kwargs)
        with _unwrapped():
            return await super().search(*args, **kwargs)

    async def query(self, query: Any) -> Any:  # records, or a count for a CountQuery
        with _unwrapped():
            return await super().query(query)
