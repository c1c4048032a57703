"""/v1/long-term-memory: create, get, edit, delete, search; and the original search route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from agent_memory_server.api.deps import ResourcesDep, json_response
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.models.common import IDENTIFIER_PATTERN
from agent_memory_server.models.long_term import (
    CreateMemoryRequest,
    EditMemoryRequest,
    MemoryRecordResults,
    SearchRequest,
)
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.models.working_memory import AckResponse
from agent_memory_server.services import long_term as service
from agent_memory_server.services.search import search_memories

router = APIRouter(tags=["long-term memory"], route_class=StrictJSONRoute)

MemoryId = Annotated[str, Path(min_length=1, max_length=256, pattern=IDENTIFIER_PATTERN)]


@router.post("/v1/long-term-memory/", response_model=AckResponse)
async def create_long_term_memory(
    body: CreateMemoryRequest, resources: ResourcesDep
) -> AckResponse:
    """Store memories; they are searchable when this returns."""
    await service.create_memories(resources, body.memories, body.deduplicate)
    return AckResponse(status="ok")


@router.post("/v1/long-term-memory/search", response_model=MemoryRecordResults)
async def search_long_term_memory(
    body: SearchRequest,
    resources: ResourcesDep,
    optimize_query: Annotated[
        bool, Query(description="Accepted for compatibility; ignored")
    ] = False,
) -> Response:
    """Semantic, keyword or hybrid search with filters; empty text lists newest first."""
    return json_response(await search_memories(resources, body))


@router.post("/long-term-memory/search", response_model=MemoryRecordResults)
async def search_long_term_memory_original(
    body: SearchRequest, resources: ResourcesDep
) -> Response:
    """Search long-term memory (original route)."""
    return json_response(await search_memories(resources, body))


@router.get("/v1/long-term-memory/{memory_id}", response_model=MemoryRecord)
async def get_long_term_memory(memory_id: MemoryId, resources: ResourcesDep) -> MemoryRecord:
    """One memory by id."""
    return await service.get_memory(resources, memory_id)


@router.patch("/v1/long-term-memory/{memory_id}", response_model=MemoryRecord)
async def edit_long_term_memory(
    memory_id: MemoryId, body: EditMemoryRequest, resources: ResourcesDep
) -> MemoryRecord:
    """Edit a memory's text, topics, entities, type, owner fields, event date or pin."""
    return await service.edit_memory(resources, memory_id, body)


@router.delete("/v1/long-term-memory", response_model=AckResponse)
async def delete_long_term_memories(
    resources: ResourcesDep,
    memory_ids: Annotated[list[str], Query(min_length=1, max_length=1000)],
) -> AckResponse:
    """Delete memories by id."""
    deleted = await service.delete_memories(resources, memory_ids)
    return AckResponse(status=f"ok, deleted {deleted} memories")
