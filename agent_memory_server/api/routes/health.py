"""Health routes: server time, liveness and readiness."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from agent_memory_server.api.deps import ResourcesDep
from agent_memory_server.api.strict_json import StrictJSONRoute
from agent_memory_server.models.health import LivenessResponse, ReadinessResponse
from agent_memory_server.models.working_memory import HealthResponse
from agent_memory_server.services.health import readiness

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)


@router.get("/v1/health", response_model=HealthResponse)
async def health_v1() -> HealthResponse:
    """Server time in epoch milliseconds."""
    return HealthResponse(now=time.time() * 1000)


@router.get("/health", response_model=HealthResponse)
async def health() -> HealthResponse:
    """Server time in epoch seconds (original route)."""
    return HealthResponse(now=time.time())


@router.get("/v1/health/live", response_model=LivenessResponse)
async def live() -> LivenessResponse:
    """200 while the process serves HTTP."""
    return LivenessResponse()


@router.get(
    "/v1/health/ready",
    response_model=ReadinessResponse,
    responses={503: {"model": ReadinessResponse, "description": "Not ready"}},
)
async def ready(request: Request, resources: ResourcesDep) -> JSONResponse:
    """200 when Redis answers and a task worker is running; 503 naming what is not ready."""
    report = await readiness(resources, request.app.state.worker)
    status = 200 if report.status == "ready" else 503
    return JSONResponse(report.model_dump(), status_code=status)
