"""The synchronous client: the same operations as MemoryAPIClient, over httpx.Client."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Concatenate, ParamSpec, Self

import httpx

from agent_memory_sdk._core import MemoryClientConfig, Op, T, build_client_kwargs
from agent_memory_sdk._drive import CallHook, run_sync
from agent_memory_sdk.filters import FilterArg
from agent_memory_sdk.models import MemoryRecordResult
from agent_memory_sdk.operations import Operations

P = ParamSpec("P")


def _bind(
    op: Callable[Concatenate[Operations, P], Op[T]],
) -> Callable[Concatenate[SyncMemoryAPIClient, P], T]:
    @functools.wraps(op)
    def method(self: SyncMemoryAPIClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return run_sync(self._client, self.config, op(self._ops, *args, **kwargs), self._on_call)

    return method


class SyncMemoryAPIClient:
    """Blocking client with the methods of MemoryAPIClient (`with SyncMemoryAPIClient(...)`)."""

    def __init__(
        self,
        config: MemoryClientConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        on_call: CallHook | None = None,
    ) -> None:
        self.config = config
        self._ops = Operations(config)
        self._client = httpx.Client(**build_client_kwargs(config), transport=transport)
        self._on_call = on_call

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, op: Op[T]) -> T:
        """Run an operation written as a generator of calls (see _core.py; the adapters do)."""
        return run_sync(self._client, self.config, op, self._on_call)

    def search_all_long_term_memories(
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
    ) -> Iterator[MemoryRecordResult]:
        """Every match, page by page (follows next_offset)."""
        offset: int | None = 0
        while offset is not None:
            page = self.search_long_term_memory(
                text, session_id, namespace, topics, entities, created_at, last_accessed,
                user_id, distance_threshold, memory_type, limit=batch_size, offset=offset,
            )  # fmt: skip
            yield from page.memories
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
