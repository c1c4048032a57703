"""Query vectors for semantic and hybrid search and the memory prompt, behind a small LRU.

A search embeds its query text on the request path (the local model: several ms of CPU on a
small machine). Agents often send the same query again (a prompt rebuilt every turn, a tool
retried), so the vectors of the last `QUERY_EMBEDDING_CACHE` queries are kept in memory
(0: off). The key is (tenant, model, text): a tenant never gets a vector another tenant's
query put there, so whether a query is answered from the cache tells nothing about what
other tenants searched. Entries are read-only arrays; a hit returns the stored array itself.

The embedder's query path (`embed_query`, when it has one) is used: the local embedder runs
single queries on a session of their own (providers/minilm_onnx.py).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Protocol

import numpy as np

Vector = np.ndarray[Any, np.dtype[np.float32]]


class _Embedder(Protocol):
    name: str

    async def embed(self, texts: Sequence[str]) -> Any: ...


class QueryVectors:
    """The query vector of a text for a tenant: from the cache, or embedded and then kept."""

    def __init__(
        self, embedder: _Embedder, size: int, observe: Callable[[bool], None] | None = None
    ) -> None:
        """`observe(cached)` is called for every vector handed out (metrics)."""
        if size < 0:
            raise ValueError("the query vector cache size must be >= 0")
        self._embedder = embedder
        self._size = size
        # Part of every key: the model whose vectors the entries are (name and precision).
        self.model: str = getattr(embedder, "query_model", embedder.name)
        self._entries: OrderedDict[tuple[Hashable, str, str], Vector] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self._observe = observe

    def __len__(self) -> int:
        return len(self._entries)

    async def vector(self, text: str, tenant: Hashable) -> Vector:
        """`text`'s unit-length query vector; `tenant` is the caller (None: unconfined)."""
        key = (tenant, self.model, text)
        if self._size:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                if self._observe is not None:
                    self._observe(True)
                return cached
        self.misses += 1
        if self._observe is not None:
            self._observe(False)
        embed = getattr(self._embedder, "embed_query", None) or self._embedder.embed
        vector: Vector = np.array((await embed([text]))[0], dtype=np.float32)
        vector.flags.writeable = False
        if self._size:
            self._entries[key] = vector
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return vector

    def clear(self) -> None:
        self._entries.clear()
