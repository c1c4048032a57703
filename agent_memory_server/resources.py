"""Everything a door needs, opened once per process: `async with open_resources(settings)`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from docket import Docket
from redis.asyncio import Redis

from agent_memory_server.config import Settings
from agent_memory_server.errors import ConfigurationError
from agent_memory_server.metrics import Metrics
from agent_memory_server.providers.embeddings import Embedder, MeasuredEmbedder, create_embedder
from agent_memory_server.providers.entities import (
    EntityExtractor,
    NERUnavailable,
    WarmingEntityExtractor,
    create_entity_extractor,
)
from agent_memory_server.providers.llm import ChatModel, create_chat_model
from agent_memory_server.providers.llm_tagger import LLMTagger
from agent_memory_server.providers.token_counts import Tokenizers
from agent_memory_server.providers.topics import DEFAULT_TOPIC_LABELS, EmbeddingTopicExtractor
from agent_memory_server.storage.api_tokens import TokenStore
from agent_memory_server.storage.connection import (
    check_modules,
    connect,
    exact_union_scores,
    keys_for,
)
from agent_memory_server.storage.embedded import EmbeddedRedis
from agent_memory_server.storage.jobs import JobStore
from agent_memory_server.storage.keys import Keys
from agent_memory_server.storage.long_term import LongTermStore
from agent_memory_server.storage.meta import MetaStore
from agent_memory_server.storage.schema import VectorIndexParams
from agent_memory_server.storage.sharded import ShardedLongTermStore
from agent_memory_server.storage.summary_views import SummaryViewStore
from agent_memory_server.storage.working import WorkingMemoryStore

logger = logging.getLogger(__name__)

# Registered by path so that this module does not import the task bodies (they import services).
TASK_COLLECTION = "agent_memory_server.tasks.collection:TASKS"


@dataclass
class Resources:
    """Shared stores, models and the scheduler's Docket; passed to services, never global.

    `redis` and `keys` are the connection the stores share, kept for the process lifecycle
    and for tests that inspect what was stored: code outside storage/ reads and writes through
    the stores (tests/unit/test_layering.py checks it).
    """

    settings: Settings
    redis: Redis
    keys: Keys
    working: WorkingMemoryStore
    tokenizers: Tokenizers
    llm: ChatModel | None
    docket: Docket
    embedder: Embedder
    long_term: LongTermStore
    entities: EntityExtractor | None
    topics: EmbeddingTopicExtractor | None
    tagger: LLMTagger | None
    metrics: Metrics
    redis_url: str = ""  # of `redis`: the embedded server's when REDIS_URL is unset
    jobs: JobStore = field(init=False)
    meta: MetaStore = field(init=False)
    tokens: TokenStore = field(init=False)
    summary_views: SummaryViewStore = field(init=False)

    def __post_init__(self) -> None:
        self.jobs = JobStore(self.redis, self.keys)
        self.meta = MetaStore(self.redis, self.keys)
        self.tokens = TokenStore(self.redis, self.keys)
        self.summary_views = SummaryViewStore(self.redis, self.keys)


@asynccontextmanager
async def open_redis(settings: Settings) -> AsyncIterator[tuple[Redis, str]]:
    """Start (embedded) or connect to Redis and check its modules; the client and its URL."""
    async with AsyncExitStack() as stack:
        url = settings.redis_url
        if url is None:
            embedded = EmbeddedRedis(
                settings.data_dir, settings.embedded_redis_port, settings.embedded_redis_appendfsync
            )
            url = await asyncio.to_thread(embedded.start)
            stack.push_async_callback(asyncio.to_thread, embedded.stop)
        redis = connect(url)
        stack.push_async_callback(redis.aclose)
        await check_modules(redis, url, embedded=settings.redis_url is None)
        yield redis, url


@asynccontextmanager
async def open_store_redis(url: str | None, default: Redis) -> AsyncIterator[Redis]:
    """The client of a store with a Redis of its own (WORKING_MEMORY_REDIS_URL,
    LONG_TERM_REDIS_URL), checked like REDIS_URL; else the default client."""
    if url is None:
        yield default
        return
    redis = connect(url)
    try:
        await check_modules(redis, url, embedded=False)
        yield redis
    finally:
        await redis.aclose()


@asynccontextmanager
async def open_token_store(settings: Settings) -> AsyncIterator[TokenStore]:
    """The API tokens' store alone (the token commands need neither models nor indexes)."""
    async with open_redis(settings) as (redis, _):
        yield TokenStore(redis, keys_for(settings.key_prefix, redis))


@asynccontextmanager
async def open_resources(
    settings: Settings, *, check_index: bool = True, metrics: Metrics | None = None
) -> AsyncIterator[Resources]:
    """Start or connect to Redis, check it, create indexes, open clients; close all on exit.

    Args:
        check_index: refuse to start when the long-term index was built by another embedder
            (False only for `agent-memory rebuild-index`, which fixes exactly that).
        metrics: the registry the providers and the worker report to (default: a new one).
    """
    metrics = Metrics() if metrics is None else metrics
    async with AsyncExitStack() as stack:
        redis, url = await stack.enter_async_context(open_redis(settings))
        keys = keys_for(settings.key_prefix, redis)
        wm_redis = await stack.enter_async_context(
            open_store_redis(settings.working_memory_redis_url, redis)
        )
        lt_redis = await stack.enter_async_context(
            open_store_redis(settings.long_term_redis_url, redis)
        )
        if settings.search_exact_unions:
            await exact_union_scores(lt_redis)
        working = WorkingMemoryStore(wm_redis, keys_for(settings.key_prefix, wm_redis))
        await working.create_index()
        cache_dir = settings.tokenizer_cache_dir or settings.data_dir / "tiktoken"
        tokenizers = await asyncio.to_thread(Tokenizers, cache_dir)
        llm = create_chat_model(settings, metrics)
        if llm is not None:
            stack.push_async_callback(llm.close)
        embedder: Embedder = MeasuredEmbedder(
            await asyncio.to_thread(create_embedder, settings), settings.embedding_provider, metrics
        )
        params = VectorIndexParams(
            embedder.dimension, settings.hnsw_m, settings.hnsw_ef_construction,
            settings.hnsw_ef_runtime,
        )  # fmt: skip
        lt_keys = keys_for(settings.key_prefix, lt_redis)
        store_type = ShardedLongTermStore if lt_keys.cluster else LongTermStore
        long_term = store_type(lt_redis, lt_keys, params)
        if check_index:
            await check_embedder(long_term, MetaStore(redis, keys), embedder)
        docket = await stack.enter_async_context(
            Docket(name=settings.docket, url=settings.task_queue_redis_url or url)
        )
        docket.register_collection(TASK_COLLECTION)
        logger.info("LLM provider: %s", llm.name if llm else "none (extractive summaries)")
        logger.info("embedder: %s (%s-d)", embedder.name, embedder.dimension)
        wants_llm = "llm" in (settings.entity_extraction, settings.topic_extraction)
        tagger = LLMTagger(llm) if wants_llm and llm is not None else None  # config.py: llm set
        entities = (
            None
            if settings.entity_extraction in ("none", "llm")
            else shared_entity_extractor(settings.entity_extraction, settings.ner_model)
        )
        topics = None
        if settings.topic_extraction == "embedding":
            labels = settings.topic_labels or DEFAULT_TOPIC_LABELS
            topics = EmbeddingTopicExtractor(embedder, labels)
        yield Resources(
            settings, redis, keys, working, tokenizers, llm, docket, embedder, long_term,
            entities, topics, tagger, metrics, redis_url=url,
        )  # fmt: skip


@lru_cache(maxsize=4)
def shared_entity_extractor(provider: str, model: str | None) -> WarmingEntityExtractor:
    """One NER model per process (loading spaCy takes seconds; the model is read-only),
    loaded in the background: see `warm_models`."""

    def load() -> EntityExtractor:
        try:
            return create_entity_extractor(provider, model)
        except NERUnavailable as e:
            raise ConfigurationError(str(e)) from e

    return WarmingEntityExtractor(load)


def warm_models(resources: Resources, *, entities: bool = True) -> None:
    """Start loading the local models in background threads; a door calls this once it
    serves, so that it listens at once and the first search does not pay for the load.

    Args:
        entities: the NER model too (a server whose tasks run in a worker process leaves it
            to that process; a request that needs it loads it on first use).
    """
    resources.tokenizers.warm()
    inner = getattr(resources.embedder, "inner", resources.embedder)
    for model in (inner, resources.entities if entities else None):
        warm = getattr(model, "warm", None)
        if callable(warm):
            warm()


async def requests_models_loaded(resources: Resources) -> None:
    """Wait until the model requests use (the local embedder) is loaded; at once otherwise."""
    inner = getattr(resources.embedder, "inner", resources.embedder)
    loaded = getattr(inner, "loaded", None)
    if callable(loaded):
        await loaded()


async def check_embedder(store: LongTermStore, meta: MetaStore, embedder: Embedder) -> None:
    """Create the long-term index, or check that its vectors came from this embedder."""
    recorded_name = await meta.embedder_name()
    dimension = await store.indexed_dimension()
    if dimension is None:
        await store.create_index()
        await meta.set_embedder_name(embedder.name)
        return
    if dimension != embedder.dimension or (recorded_name and recorded_name != embedder.name):
        raise ConfigurationError(
            f"The long-term index holds {dimension}-d vectors from "
            f"{recorded_name or 'an unknown embedder'}, but the configured embedder is "
            f"{embedder.name} ({embedder.dimension}-d). Nothing was changed. Run "
            "`agent-memory rebuild-index` to re-embed every record, or restore the previous "
            "embedding settings."
        )
    if recorded_name is None:
        await meta.set_embedder_name(embedder.name)


__all__ = [
    "ConfigurationError", "Resources", "open_resources", "requests_models_loaded", "warm_models",
]  # fmt: skip
