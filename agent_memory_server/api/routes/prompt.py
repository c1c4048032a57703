"""/v1/memory/prompt: messages for the client's model, hydrated with memory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from agent_memory_server.api.deps import ResourcesDep
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.models.long_term import MemoryPromptRequest, MemoryPromptResponse
from agent_memory_server.services.prompt import memory_prompt

router = APIRouter(tags=["memory prompt"], route_class=StrictJSONRoute)


@router.post("/v1/memory/prompt", response_model=MemoryPromptResponse)
async def prompt(
    body: MemoryPromptRequest,
    resources: ResourcesDep,
    optimize_query: Annotated[
        bool, Query(description="Accepted for compatibility; ignored")
    ] = False,
) -> MemoryPromptResponse:
    """Session summary and messages, relevant long-term memories, then the query."""
    return await memory_prompt(resources, body)
