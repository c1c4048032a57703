"""/v1/users/{user_id}: erase everything a user owns."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query

from agent_memory_server.api.deps import ResourcesDep
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.models.common import Identifier
from agent_memory_server.models.upkeep import ErasureResponse
from agent_memory_server.services.erasure import erase_user

router = APIRouter(tags=["privacy"], route_class=StrictJSONRoute)


@router.delete("/v1/users/{user_id}", response_model=ErasureResponse)
async def erase_user_data(
    user_id: Annotated[Identifier, Path(description="The user whose data goes")],
    resources: ResourcesDep,
    namespace: Annotated[Identifier | None, Query(description="Only this namespace")] = None,
) -> ErasureResponse:
    """Delete a user's sessions, long-term memories and per-user summaries (GDPR erasure)."""
    return ErasureResponse(
        **asdict(await erase_user(resources, user_id=user_id, namespace=namespace))
    )
