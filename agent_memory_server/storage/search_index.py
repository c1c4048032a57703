"""redisvl's AsyncSearchIndex, raising a lost connection as redis-py raises it.

redisvl wraps every Redis error of a search in its own RedisSearchError, so a refused or
dropped connection would reach the doors as an unknown error (a 500). The doors answer
redis-py's connection errors as BackendUnavailable (503, retry); this subclass hands them on
unwrapped and leaves every other error as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redisvl.exceptions import RedisVLError
from redisvl.index import AsyncSearchIndex

from agent_memory_server.errors import UNREACHABLE


@contextmanager
def _unwrapped() -> Iterator[None]:
    try:
        yield
    except RedisVLError as e:
        if isinstance(e.__cause__, UNREACHABLE):
            raise e.__cause__ from e
        raise


class SearchIndex(AsyncSearchIndex):  # type: ignore[misc]  # redisvl's stubs type it Any
    async def search(self, *args: Any, **kwargs: Any) -> Any:
        with _unwrapped():
            return await super().search(*args, **kwargs)

    async def query(self, query: Any) -> Any:  # records, or a count for a CountQuery
        with _unwrapped():
            return await super().query(query)
