"""GET /metrics: the Prometheus metrics of this API process."""

from __future__ import annotations

from fastapi import APIRouter, Response

from agent_memory_server.api.deps import ResourcesDep
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.metrics import CONTENT_TYPE

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)


@router.get("/metrics", response_class=Response)
async def metrics(resources: ResourcesDep) -> Response:
    """Prometheus metrics: requests, background tasks, embedding and LLM calls."""
    return Response(resources.metrics.render(), media_type=CONTENT_TYPE)
