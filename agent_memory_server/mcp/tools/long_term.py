"""Long-term memory tools: create, search (also as `search_memory`), get, edit, delete, compact.

Each tool validates its arguments into the REST DTOs, calls one service function and returns
the JSON the REST route returns. Docstrings are the descriptions a model reads.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastmcp import Context, FastMCP
from pydantic import Field

from agent_memory_server.mcp.context import resources_of, tenant_of
from agent_memory_server.mcp.errors import mapped
from agent_memory_server.mcp.tools.inputs import Kind, MemoryInput, TagArg, TimeArg
from agent_memory_server.models.common import Identifier
from agent_memory_server.models.long_term import (
    CreateMemoryRequest,
    EditMemoryRequest,
    SearchMode,
    SearchRequest,
)
from agent_memory_server.models.upkeep import CompactResponse
from agent_memory_server.services import long_term as service
from agent_memory_server.services.compaction import compact
from agent_memory_server.services.search import search_memories

MemoryId = Annotated[str, Field(min_length=1, max_length=256)]
READ_ONLY = {"readOnlyHint": True}
SEARCH_MEMORY = """The older name of search_long_term_memory: same parameters, same results.
Example: {"text": "food allergies", "topics": {"any": ["health", "food"]}}"""


async def create_long_term_memories(
    ctx: Context,
    memories: Annotated[list[MemoryInput], Field(min_length=1, max_length=1000)],
    deduplicate: Annotated[
        bool, Field(description="Skip a text already stored for the same owner")
    ] = True,
) -> dict[str, Any]:
    """Store facts worth keeping across sessions: preferences, events, decisions. Write each
    `text` as a standalone sentence that names who it is about. Searchable as soon as this
    returns; returns the ids stored.
    Example: {"memories": [{"text": "Alice prefers window seats.", "user_id": "alice",
    "topics": ["travel"]}]}"""
    tenant = tenant_of(ctx)
    request = CreateMemoryRequest.model_validate(
        {
            "memories": [tenant.owner_defaults(m.model_dump(exclude_none=True)) for m in memories],
            "deduplicate": deduplicate,
        }
    )
    stored = await service.create_memories(resources_of(ctx), request.memories, request.deduplicate)
    return {"status": "ok", "ids": [record.id for record in stored]}


async def search_long_term_memory(
    ctx: Context,
    text: Annotated[str, Field(description="What to look for; empty lists newest first")] = "",
    session_id: TagArg = None,
    namespace: TagArg = None,
    user_id: TagArg = None,
    topics: TagArg = None,
    entities: TagArg = None,
    memory_type: TagArg = None,
    created_at: TimeArg = None,
    last_accessed: TimeArg = None,
    event_date: TimeArg = None,
    search_mode: SearchMode = "semantic",
    distance_threshold: Annotated[
        float | None, Field(description="Max cosine distance 0-2 (not keyword)")
    ] = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 10,
    offset: Annotated[int, Field(ge=0)] = 0,
    recency_boost: Annotated[bool, Field(description="Favour recent, recently used")] = False,
) -> dict[str, Any]:
    """Search long-term memory by meaning (semantic), words (keyword) or both (hybrid, best
    recall). Filters: session_id, namespace, user_id, topics, entities, memory_type take one of
    eq, ne, any, all, none; created_at, last_accessed, event_date take gt/gte/lt/lte, eq or
    between (epoch seconds or ISO dates). `dist` 0 = same meaning; page with offset until
    next_offset is null.
    Example: {"text": "Where does Alice live?", "user_id": {"eq": "alice"},
    "search_mode": "hybrid", "limit": 5}"""
    tenant = tenant_of(ctx)
    request = SearchRequest.model_validate(
        {
            "text": text, "session_id": session_id, "namespace": tenant.namespace_filter(namespace),
            "user_id": tenant.user_filter(user_id), "topics": topics, "entities": entities,
            "memory_type": memory_type, "created_at": created_at, "last_accessed": last_accessed,
            "event_date": event_date, "search_mode": search_mode,
            "distance_threshold": distance_threshold, "limit": limit, "offset": offset,
            "recency_boost": recency_boost,
        }
    )  # fmt: skip
    results = await search_memories(resources_of(ctx), request)
    return results.model_dump(mode="json")


async def get_long_term_memory(ctx: Context, memory_id: MemoryId) -> dict[str, Any]:
    """Read one long-term memory by id.
    Example: {"memory_id": "01JA2B3C4D5E6F7G8H9J0KMNPQ"}"""
    record = await service.get_memory(resources_of(ctx), memory_id)
    return record.model_dump(mode="json")


async def edit_long_term_memory(
    ctx: Context,
    memory_id: MemoryId,
    text: str | None = None,
    topics: list[str] | None = None,
    entities: list[str] | None = None,
    memory_type: Kind | None = None,
    namespace: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    event_date: datetime | None = None,
    pinned: Annotated[bool | None, Field(description="Pinned memories are never forgotten")] = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Change fields of a long-term memory; omitted fields stay as they are, new text is
    re-embedded. Returns the edited memory; an error if nothing would change.
    Example: {"memory_id": "01JA2B3C4D5E6F7G8H9J0KMNPQ", "text": "Alice lives in Porto."}"""
    given = {
        "text": text, "topics": topics, "entities": entities, "memory_type": memory_type,
        "namespace": namespace, "user_id": user_id, "session_id": session_id,
        "event_date": event_date, "pinned": pinned, "metadata": metadata,
    }  # fmt: skip
    changes = EditMemoryRequest.model_validate({k: v for k, v in given.items() if v is not None})
    record = await service.edit_memory(resources_of(ctx), memory_id, changes)
    return record.model_dump(mode="json")


async def delete_long_term_memories(
    ctx: Context, memory_ids: Annotated[list[str], Field(min_length=1, max_length=1000)]
) -> dict[str, Any]:
    """Delete long-term memories by id; says how many existed.
    Example: {"memory_ids": ["01JA2B3C4D5E6F7G8H9J0KMNPQ"]}"""
    deleted = await service.delete_memories(resources_of(ctx), memory_ids)
    return {"status": f"ok, deleted {deleted} memories"}


async def compact_long_term_memories(
    ctx: Context, namespace: Identifier | None = None, user_id: Identifier | None = None
) -> dict[str, Any]:
    """Remove duplicate memories and merge near-duplicates of each owner (namespace + user);
    only one namespace or user when given. Safe to repeat.
    Example: {"namespace": "travel", "user_id": "alice"}"""
    tenant = tenant_of(ctx)
    resources = resources_of(ctx)
    result = await compact(
        resources, namespace=tenant.namespace_or(namespace), user_id=tenant.user_or(user_id)
    )
    return CompactResponse(**asdict(result)).model_dump(mode="json")


def register(server: FastMCP[Any]) -> None:
    server.tool(mapped(create_long_term_memories))
    server.tool(mapped(search_long_term_memory), annotations=READ_ONLY)
    server.tool(
        mapped(search_long_term_memory),
        name="search_memory",
        description=SEARCH_MEMORY,
        annotations=READ_ONLY,
    )
    server.tool(mapped(get_long_term_memory), annotations=READ_ONLY)
    server.tool(mapped(edit_long_term_memory), annotations={"idempotentHint": True})
    server.tool(mapped(delete_long_term_memories), annotations={"destructiveHint": True})
    server.tool(mapped(compact_long_term_memories), annotations={"destructiveHint": True})
