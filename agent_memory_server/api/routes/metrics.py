"""GET /metrics: the Prometheus metrics of this API process (and of its worker process)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from agent_memory_server.api.deps import ResourcesDep
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.metrics import CONTENT_TYPE

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)


@router.get("/metrics", response_class=Response)
async def metrics(request: Request, resources: ResourcesDep) -> Response:
    """Prometheus metrics: requests, background tasks, embedding and LLM calls (with those of
    the embedded worker's process added, when it runs as one)."""
    worker = request.app.state.worker
    other = b"" if worker is None else await worker.metrics()
    return Response(resources.metrics.render(other), media_type=CONTENT_TYPE)
