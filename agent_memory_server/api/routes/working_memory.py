"""/v1/working-memory: list, get, put and delete sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from agent_memory_server.api.deps import (
    NamespaceQuery,
    ResourcesDep,
    SessionId,
    UserIdQuery,
    WindowDep,
)
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.models.working_memory import (
    AckResponse,
    SessionListResponse,
    WorkingMemory,
    WorkingMemoryResponse,
)
from agent_memory_server.services import working_memory as service

router = APIRouter(
    prefix="/v1/working-memory", tags=["working memory"], route_class=StrictJSONRoute
)


@router.get("/", response_model=SessionListResponse)
async def list_sessions(
    resources: ResourcesDep,
    namespace: NamespaceQuery = None,
    user_id: UserIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SessionListResponse:
    """List session ids, oldest first, with the total count."""
    ids, total = await service.list_sessions(
        resources, namespace=namespace, user_id=user_id, offset=offset, limit=limit
    )
    return SessionListResponse(sessions=ids, total=total)


@router.get("/{session_id}", response_model=WorkingMemoryResponse)
async def get_working_memory(
    session_id: SessionId,
    resources: ResourcesDep,
    window: WindowDep,
    namespace: NamespaceQuery = None,
    user_id: UserIdQuery = None,
    recent_messages_limit: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> WorkingMemoryResponse:
    """Get a session's messages, summary, data and window usage."""
    return await service.get_session(
        resources,
        session_id,
        namespace=namespace,
        user_id=user_id,
        window=window,
        recent_messages_limit=recent_messages_limit,
    )


@router.put("/{session_id}", response_model=WorkingMemoryResponse)
async def put_working_memory(
    session_id: SessionId,
    body: WorkingMemory,
    resources: ResourcesDep,
    window: WindowDep,
    namespace: NamespaceQuery = None,
    user_id: UserIdQuery = None,
) -> WorkingMemoryResponse:
    """Replace a session; summarizes in the background when it outgrows the window."""
    return await service.put_session(
        resources, session_id, body, namespace=namespace, user_id=user_id, window=window
    )


@router.delete("/{session_id}", response_model=AckResponse)
async def delete_working_memory(
    session_id: SessionId,
    resources: ResourcesDep,
    namespace: NamespaceQuery = None,
    user_id: UserIdQuery = None,
) -> AckResponse:
    """Delete a session."""
    await service.delete_session(resources, session_id, namespace=namespace, user_id=user_id)
    return AckResponse(status="ok")
