"""`GET /v1/working-memory/{session_id}` without FastAPI's per-request machinery.

The most frequent request an agent makes costs about 0.8 ms of server CPU through FastAPI, a
quarter of it resolving the route's seven parameters and dependencies. This pure ASGI
middleware, the innermost (inside authentication, limits and the request log), answers the
well-formed request itself: it checks the parameters against the route's own constraints,
calls the same service and serializes the same model. Anything it is not sure of (an unknown,
repeated, empty or out-of-range parameter, another method or path) goes on to the FastAPI
route, which stays the single definition of the contract: it validates, answers 422 and
documents the operation in OpenAPI. tests/integration/test_fast_reads.py holds the two to the
same answers.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from agent_memory_server.api.errors import error_response
from agent_memory_server.api.routes import working_memory as routes
from agent_memory_server.errors import ANSWERED
from agent_memory_server.models.common import IDENTIFIER_PATTERN
from agent_memory_server.resources import Resources
from agent_memory_server.services import working_memory as service

PREFIX = "/v1/working-memory/"
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)  # models.common.Identifier, with MAX_IDENTIFIER
MAX_IDENTIFIER = 256
_INT = re.compile(r"[0-9]{1,9}")
# What a query `bool` takes (pydantic's lax bool, lower-cased); anything else goes to FastAPI.
_BOOL = {
    **dict.fromkeys(("0", "off", "f", "false", "n", "no"), False),
    **dict.fromkeys(("1", "on", "t", "true", "y", "yes"), True),
}
Rules = dict[str, tuple[str, int, int]]
# name -> (kind, low, high): the bounds of api/deps.py and api/routes/working_memory.py
_PARAMS: Rules = {
    "namespace": ("identifier", 0, 0),
    "user_id": ("identifier", 0, 0),
    "model_name": ("text", 0, 128),
    "context_window_max": ("int", 256, 10_000_000),
    "recent_messages_limit": ("int", 0, 100_000),
}


def _parse_query(query: bytes, rules: Rules = _PARAMS) -> dict[str, str | int] | None:
    """The parameters when each is known, given once and valid; else None (FastAPI decides).

    `rules`: name -> (kind, low, high); kind "int" (low..high), "text" (at most high
    characters), "bool" (an int, 0 or 1), "identifier"."""
    values: dict[str, str | int] = {}
    if not query:
        return values
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        rule = rules.get(name)
        if rule is None or name in values:
            return None
        kind, low, high = rule
        if kind == "bool":
            flag = _BOOL.get(value.lower())
            if flag is None:
                return None
            values[name] = int(flag)
        elif kind == "int":
            if not _INT.fullmatch(value) or not low <= int(value) <= high:
                return None
            values[name] = int(value)
        elif kind == "text":
            if len(value) > high:
                return None
            values[name] = value
        elif not _identifier(value):
            return None
        else:
            values[name] = value
    return values


def _session_id(path: str, prefix: str = PREFIX, suffix: str = "") -> str | None:
    """The session id of `prefix{session_id}suffix` when it is a valid identifier."""
    if not path.startswith(prefix) or not path.endswith(suffix):
        return None
    session_id = path[len(prefix) : len(path) - len(suffix)]
    return session_id if "/" not in session_id and _identifier(session_id) else None


def _identifier(value: str) -> bool:
    return len(value) <= MAX_IDENTIFIER and _IDENTIFIER.fullmatch(value) is not None


class WorkingMemoryReads:
    """Serves the well-formed GET of a session; passes every other request on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The route's own APIRoute, set as FastAPI sets it: the request log takes its template.
        self.route = next(
            r
            for r in routes.router.routes
            if getattr(r, "endpoint", None) is routes.get_working_memory
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        session_id = _session_id(scope["path"])
        params = _parse_query(scope["query_string"]) if session_id is not None else None
        if session_id is None or params is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        resources: Resources = scope["app"].state.resources
        response: Response
        try:
            model = await service.get_session(
                resources,
                session_id,
                namespace=_text(params, "namespace"),
                user_id=_text(params, "user_id"),
                window=service.Window(
                    _text(params, "model_name"), _int(params, "context_window_max")
                ),
                recent_messages_limit=_int(params, "recent_messages_limit"),
            )
        except ANSWERED as e:
            response = error_response(e)
        else:
            response = Response(model.model_dump_json(), media_type="application/json")
        await response(scope, receive, send)


def _text(params: dict[str, str | int], name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) else None


def _int(params: dict[str, str | int], name: str) -> int | None:
    value = params.get(name)
    return value if isinstance(value, int) else None
