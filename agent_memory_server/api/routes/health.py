"""Health routes."""

from __future__ import annotations

import time

from fastapi import APIRouter

from agent_memory_server.models.working_memory import HealthResponse

router = APIRouter(tags=["health"])


@router.get("/v1/health", response_model=HealthResponse)
async def health_v1() -> HealthResponse:
    """Server time in epoch milliseconds."""
    return HealthResponse(now=time.time() * 1000)


@router.get("/health", response_model=HealthResponse)
async def health() -> HealthResponse:
    """Server time in epoch seconds (original route)."""
    return HealthResponse(now=time.time())
