"""The asynchronous client: `async with MemoryAPIClient(MemoryClientConfig(base_url=...))`."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Self

import httpx

from agent_memory_sdk._core import MemoryClientConfig, Op, T, build_client_kwargs
from agent_memory_sdk._drive import CallHook, run_async
from agent_memory_sdk.exceptions import MemoryClientError
from agent_memory_sdk.filters import FilterArg
from agent_memory_sdk.models import MemoryRecordResult
from agent_memory_sdk.operations import Operations

P = ParamSpec("P")


def _bind(
    op: Callable[Concatenate[Operations, P], Op[T]],
) -> Callable[Concatenate[MemoryAPIClient, P], Coroutine[Any, Any, T]]:
    @functools.wraps(op)
    async def method(self: MemoryAPIClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await run_async(self._client, self.config, op(self._ops, *args, **kwargs),
                               self._on_call)  # fmt: skip

    return method


class MemoryAPIClient:
    """Async client of every REST route of agent-memory-server.

    Method names and arguments are those of agent-memory-client 0.14 where it had the same
    operation. Errors are typed (exceptions.py); 503 answers are retried with backoff."""

    def __init__(
        self,
        config: MemoryClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_call: CallHook | None = None,
    ) -> None:
        self.config = config
        self._ops = Operations(config)
        self._client = httpx.AsyncClient(**build_client_kwargs(config), transport=transport)
        self._on_call = on_call

    async def close(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def run(self, op: Op[T]) -> T:
        """Run an operation written as a generator of calls (see _core.py; the adapters do)."""
        return await run_async(self._client, self.config, op, self._on_call)

    async def search_all_long_term_memories(
        self,
        text: str,
        session_id: FilterArg = None,
        namespace: FilterArg = None,
        topics: FilterArg = None,
        entities: FilterArg = None,
        created_at: FilterArg = None,
        last_accessed: FilterArg = None,
        user_id: FilterArg = None,
        distance_threshold: float | None = None,
        memory_type: FilterArg = None,
        batch_size: int = 50,
    ) -> AsyncIterator[MemoryRecordResult]:
        """Every match, page by page (follows next_offset)."""
        offset: int | None = 0
        while offset is not None:
            page = await self.search_long_term_memory(
                text, session_id, namespace, topics, entities, created_at, last_accessed,
                user_id, distance_threshold, memory_type, limit=batch_size, offset=offset,
            )  # fmt: skip
            for memory in page.memories:
                yield memory
            offset = page.next_offset

    # WorkingMemory
    list_sessions = _bind(Operations.list_sessions)
    list_session_overviews = _bind(Operations.list_session_overviews)
    get_working_memory = _bind(Operations.get_working_memory)
    get_or_create_working_memory = _bind(Operations.get_or_create_working_memory)
    put_working_memory = _bind(Operations.put_working_memory)
    delete_working_memory = _bind(Operations.delete_working_memory)
    append_messages_to_working_memory = _bind(Operations.append_messages_to_working_memory)
    update_working_memory_data = _bind(Operations.update_working_memory_data)
    set_working_memory_data = _bind(Operations.set_working_memory_data)
    add_memories_to_working_memory = _bind(Operations.add_memories_to_working_memory)
    legacy_list_sessions = _bind(Operations.legacy_list_sessions)
    legacy_get_session_memory = _bind(Operations.legacy_get_session_memory)
    legacy_delete_session_memory = _bind(Operations.legacy_delete_session_memory)
    # LongTerm
    create_long_term_memory = _bind(Operations.create_long_term_memory)
    bulk_create_long_term_memories = _bind(Operations.bulk_create_long_term_memories)
    get_long_term_memory = _bind(Operations.get_long_term_memory)
    edit_long_term_memory = _bind(Operations.edit_long_term_memory)
    delete_long_term_memories = _bind(Operations.delete_long_term_memories)
    search_long_term_memory = _bind(Operations.search_long_term_memory)
    legacy_search_long_term_memory = _bind(Operations.legacy_search_long_term_memory)
    forget_long_term_memories = _bind(Operations.forget_long_term_memories)
    compact_long_term_memories = _bind(Operations.compact_long_term_memories)
    long_term_facets = _bind(Operations.long_term_facets)
    model_long_term_topics = _bind(Operations.model_long_term_topics)
    promote_working_memories_to_long_term = _bind(Operations.promote_working_memories_to_long_term)
    memory_prompt = _bind(Operations.memory_prompt)
    build_memory_prompt = _bind(Operations.build_memory_prompt)
    hydrate_memory_prompt = _bind(Operations.hydrate_memory_prompt)
    # Admin
    health_check = _bind(Operations.health_check)
    legacy_health_check = _bind(Operations.legacy_health_check)
    liveness = _bind(Operations.liveness)
    readiness = _bind(Operations.readiness)
    metrics = _bind(Operations.metrics)
    list_summary_views = _bind(Operations.list_summary_views)
    create_summary_view = _bind(Operations.create_summary_view)
    get_summary_view = _bind(Operations.get_summary_view)
    delete_summary_view = _bind(Operations.delete_summary_view)
    run_summary_view_partition = _bind(Operations.run_summary_view_partition)
    list_summary_view_partitions = _bind(Operations.list_summary_view_partitions)
    run_summary_view = _bind(Operations.run_summary_view)
    get_task = _bind(Operations.get_task)
    wait_for_task = _bind(Operations.wait_for_task)
    erase_user = _bind(Operations.erase_user)


async def create_memory_client(
    base_url: str,
    timeout: float = 30.0,  # noqa: ASYNC109 (the signature of 0.14)
    default_namespace: str | None = None,
    default_model_name: str | None = None,
    default_context_window_max: int | None = None,
    api_key: str | None = None,
) -> MemoryAPIClient:
    """A client whose server answered a health check (MemoryClientError if it did not)."""
    config = MemoryClientConfig(
        base_url=base_url, timeout=timeout, default_namespace=default_namespace,
        default_model_name=default_model_name,
        default_context_window_max=default_context_window_max, api_key=api_key,
    )  # fmt: skip
    client = MemoryAPIClient(config)
    try:
        await client.health_check()
    except Exception as e:
        await client.close()
        raise MemoryClientError(f"cannot reach the memory server at {base_url}: {e}") from e
    return client
