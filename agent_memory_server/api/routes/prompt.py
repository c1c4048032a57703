"""/v1/memory/prompt: messages for the client's model, hydrated with memory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from agent_memory_server.api.deps import ResourcesDep, json_response
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.models.long_term import (
    MemoryPromptPreview,
    MemoryPromptRequest,
    MemoryPromptResponse,
)
from agent_memory_server.services.prompt import memory_prompt, with_token_counts

router = APIRouter(tags=["memory prompt"], route_class=StrictJSONRoute)


@router.post("/v1/memory/prompt", response_model=MemoryPromptResponse | MemoryPromptPreview)
async def prompt(
    body: MemoryPromptRequest,
    resources: ResourcesDep,
    optimize_query: Annotated[
        bool, Query(description="Accepted for compatibility; ignored")
    ] = False,
    token_counts: Annotated[
        bool, Query(description="Add the tokens of each message (token_counts, total_tokens)")
    ] = False,
) -> Response:
    """Session summary and messages, relevant long-term memories, then the query."""
    answer = await memory_prompt(resources, body)
    if token_counts:
        return json_response(with_token_counts(resources, body, answer))
    return json_response(answer)
