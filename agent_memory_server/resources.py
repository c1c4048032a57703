"""Everything a door needs, opened once per process: `async with open_resources(settings)`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from docket import Docket
from redis.asyncio import Redis

from agent_memory_server.config import Settings
from agent_memory_server.errors import ConfigurationError
from agent_memory_server.providers.llm import ChatModel, create_chat_model
from agent_memory_server.providers.tokens import Tokenizers
from agent_memory_server.storage.connection import check_modules, connect
from agent_memory_server.storage.embedded import EmbeddedRedis
from agent_memory_server.storage.keys import Keys
from agent_memory_server.storage.working import WorkingMemoryStore

logger = logging.getLogger(__name__)

# Registered by path so that this module does not import the task bodies (they import services).
TASK_COLLECTION = "agent_memory_server.tasks.collection:TASKS"


@dataclass
class Resources:
    """Shared clients, stores and models; passed to services, never global."""

    settings: Settings
    redis_url: str
    redis: Redis
    keys: Keys
    working: WorkingMemoryStore
    tokenizers: Tokenizers
    llm: ChatModel | None
    docket: Docket


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Start or connect to Redis, check it, create indexes, open clients; close all on exit."""
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
        keys = Keys(settings.key_prefix)
        working = WorkingMemoryStore(redis, keys)
        await working.create_index()
        cache_dir = settings.tokenizer_cache_dir or settings.data_dir / "tiktoken"
        tokenizers = await asyncio.to_thread(Tokenizers, cache_dir)
        llm = create_chat_model(settings)
        if llm is not None:
            stack.push_async_callback(llm.close)
        docket = await stack.enter_async_context(Docket(name=settings.docket, url=url))
        docket.register_collection(TASK_COLLECTION)
        logger.info("LLM provider: %s", llm.name if llm else "none (extractive summaries)")
        yield Resources(settings, url, redis, keys, working, tokenizers, llm, docket)


__all__ = ["ConfigurationError", "Resources", "open_resources"]
