"""/v1/long-term-memory/forget, /compact and /topics: maintenance of long-term memory on demand.

Both are POST routes, so they cannot be taken for GET/PATCH /v1/long-term-memory/{memory_id}.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response

from agent_memory_server.api.deps import ResourcesDep, json_response
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.models.common import Identifier
from agent_memory_server.models.upkeep import (
    CompactionPlan,
    CompactResponse,
    ForgetRequest,
    ForgetResponse,
    TopicModelRequest,
    TopicModelResponse,
)
from agent_memory_server.services.compaction import compact
from agent_memory_server.services.compaction_plan import plan_compaction
from agent_memory_server.services.corpus_topics import model_topics
from agent_memory_server.services.forgetting import forget

router = APIRouter(tags=["long-term memory"], route_class=StrictJSONRoute)

Namespace = Annotated[Identifier | None, Query(description="Only this namespace")]
UserId = Annotated[Identifier | None, Query(description="Only this user's memories")]
SessionId = Annotated[Identifier | None, Query(description="Only this session's memories")]


@router.post("/v1/long-term-memory/forget", response_model=ForgetResponse)
async def forget_long_term_memories(
    body: ForgetRequest,
    resources: ResourcesDep,
    namespace: Namespace = None,
    user_id: UserId = None,
    session_id: SessionId = None,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000, description="Delete at most N")] = None,
    dry_run: Annotated[bool, Query(description="Delete nothing; list what would go")] = False,
) -> ForgetResponse:
    """Forget memories by age, inactivity or budget; pinned ones are kept."""
    result = await forget(
        resources,
        body.policy,
        namespace=namespace,
        user_id=user_id,
        session_id=session_id,
        limit=limit,
        dry_run=dry_run,
        pinned_ids=body.pinned_ids,
    )
    return ForgetResponse(**asdict(result))


@router.post("/v1/long-term-memory/compact", response_model=CompactResponse | CompactionPlan)
async def compact_long_term_memories(
    resources: ResourcesDep,
    namespace: Namespace = None,
    user_id: UserId = None,
    dry_run: Annotated[
        bool, Query(description="Change nothing; list the groups a run would merge")
    ] = False,
) -> Response:
    """Remove duplicate memories and merge near-duplicates of each namespace and user."""
    if dry_run:  # serialized as itself (a union response model could drop its groups)
        return json_response(await plan_compaction(resources, namespace=namespace, user_id=user_id))
    return json_response(
        CompactResponse(**asdict(await compact(resources, namespace=namespace, user_id=user_id)))
    )


@router.post("/v1/long-term-memory/topics", response_model=TopicModelResponse)
async def model_long_term_topics(
    body: TopicModelRequest, resources: ResourcesDep
) -> TopicModelResponse:
    """Find the topics of a scope's memories with BERTopic (501 without the bertopic extra)."""
    return await model_topics(resources, body)
