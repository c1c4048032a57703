"""The original session routes (/sessions/...), kept for the users who still call them."""

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
    AppendRequest,
    LegacyMemoryResponse,
    LegacySessionList,
)
from agent_memory_server.services import working_memory as service

router = APIRouter(
    prefix="/sessions", tags=["sessions (original API)"], route_class=StrictJSONRoute
)


@router.get("/", response_model=LegacySessionList)
async def list_sessions(
    resources: ResourcesDep,
    namespace: NamespaceQuery = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 10,
) -> LegacySessionList:
    """List session ids page by page."""
    ids, total = await service.list_sessions(
        resources, namespace=namespace, user_id=None, offset=(page - 1) * size, limit=size
    )
    return LegacySessionList(sessions=ids, total=total, page=page, size=size)


@router.get("/{session_id}/memory", response_model=LegacyMemoryResponse)
async def get_memory(
    session_id: SessionId,
    resources: ResourcesDep,
    window: WindowDep,
    namespace: NamespaceQuery = None,
    user_id: UserIdQuery = None,
    window_size: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> LegacyMemoryResponse:
    """Newest messages (window_size of them), the summary and the token count."""
    session = await service.get_session(
        resources,
        session_id,
        namespace=namespace,
        user_id=user_id,
        window=window,
        recent_messages_limit=window_size,
    )
    # From the session's attributes: its messages are models already, taken as they are.
    return LegacyMemoryResponse.model_validate(session, from_attributes=True)


@router.post("/{session_id}/memory", response_model=AckResponse)
async def append_memory(
    session_id: SessionId,
    body: AppendRequest,
    resources: ResourcesDep,
    window: WindowDep,
    namespace: NamespaceQuery = None,
    user_id: UserIdQuery = None,
) -> AckResponse:
    """Append messages (and optionally set the summary) atomically."""
    await service.append_messages(
        resources,
        session_id,
        body.messages,
        namespace=namespace if namespace is not None else body.namespace,
        user_id=user_id if user_id is not None else body.user_id,
        context=body.context,
        ttl_seconds=body.ttl_seconds,
        window=window,
    )
    return AckResponse(status="ok")


@router.delete("/{session_id}/memory", response_model=AckResponse)
async def delete_memory(
    session_id: SessionId,
    resources: ResourcesDep,
    namespace: NamespaceQuery = None,
    user_id: UserIdQuery = None,
) -> AckResponse:
    """Delete the session's messages, summary and token count."""
    await service.delete_session(resources, session_id, namespace=namespace, user_id=user_id)
    return AckResponse(status="ok")
