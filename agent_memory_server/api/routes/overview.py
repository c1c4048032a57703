"""GET /v1/sessions and POST /v1/long-term-memory/facets: listings with their counts (the
sessions with their window usage; value counts of memory fields), for the workbench and
dashboards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from agent_memory_server.api.deps import NamespaceQuery, ResourcesDep, UserIdQuery
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.models.long_term import FacetRequest, FacetResponse
from agent_memory_server.models.working_memory import SessionOverviewList
from agent_memory_server.services.facets import facets
from agent_memory_server.services.session_overview import session_overview

router = APIRouter(route_class=StrictJSONRoute)


@router.get("/v1/sessions", response_model=SessionOverviewList, tags=["working memory"])
async def list_session_overview(
    resources: ResourcesDep,
    namespace: NamespaceQuery = None,
    user_id: UserIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SessionOverviewList:
    """Sessions, most recently updated first: size, window usage, TTL, extraction state."""
    return await session_overview(
        resources, namespace=namespace, user_id=user_id, offset=offset, limit=limit
    )


@router.post("/v1/long-term-memory/facets", response_model=FacetResponse, tags=["long-term memory"])
async def long_term_facets(body: FacetRequest, resources: ResourcesDep) -> FacetResponse:
    """How many matching memories carry each value of some fields (topics, namespaces...)."""
    return await facets(resources, body)
