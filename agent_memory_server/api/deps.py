"""Annotated FastAPI dependencies shared by the routers.

They are coroutines: FastAPI runs a plain `def` dependency in its thread pool, a thread
hand-off (and GIL contention with the event loop) on every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response
from pydantic import BaseModel

from agent_memory_server.models.common import IDENTIFIER_PATTERN, Identifier
from agent_memory_server.resources import Resources
from agent_memory_server.services.working_memory import Window


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]

SessionId = Annotated[
    str, Path(min_length=1, max_length=256, pattern=IDENTIFIER_PATTERN, description="Session id")
]

NamespaceQuery = Annotated[Identifier | None, Query(description="Namespace of the session")]
UserIdQuery = Annotated[Identifier | None, Query(description="Owner of the session")]


async def get_window(
    model_name: Annotated[
        str | None, Query(max_length=128, description="Client model, sizes the window")
    ] = None,
    context_window_max: Annotated[
        int | None, Query(ge=256, le=10_000_000, description="Window in tokens; wins over model")
    ] = None,
) -> Window:
    return Window(model_name=model_name, context_window_max=context_window_max)


WindowDep = Annotated[Window, Depends(get_window)]


def json_response(model: BaseModel) -> Response:
    """A model the service built and validated, serialized once (hot paths skip FastAPI's
    re-validation of the response model; the route still declares it for the OpenAPI docs)."""
    return Response(content=model.model_dump_json(), media_type="application/json")
