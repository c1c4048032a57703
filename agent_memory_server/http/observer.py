"""The request log, request metrics and X-Request-ID, as pure ASGI middleware."""

from __future__ import annotations

import logging
import re
import time
import uuid
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent_memory_server.logs import current_request_id
from agent_memory_server.metrics import Metrics

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
_OWNER_PARAMS = ("namespace", "user_id")

request_logger = logging.getLogger("agent_memory_server.requests")


def _route_template(scope: Scope, root_path: str) -> str:
    """The matched route's path template (mounts included); never the raw path."""
    route = scope.get("route") or _plain_route(scope)
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    mounted = str(scope.get("root_path", ""))[len(root_path) :]
    if isinstance(route, Mount):  # an app mounted whole: its root path is the template
        return mounted or path
    return mounted + path


def _plain_route(scope: Scope) -> BaseRoute | None:
    """The app's own Starlette route that matches (the MCP endpoints, the docs): FastAPI sets
    `scope["route"]` for its API routes only. None when nothing matches (a 404)."""
    router = getattr(scope.get("app"), "router", None)
    for route in getattr(router, "routes", ()):
        if isinstance(route, (Route, Mount)) and route.matches(scope)[0] == Match.FULL:
            return route
    return None


def _request_id(scope: Scope) -> str:
    given = Headers(scope=scope).get(REQUEST_ID_HEADER)
    if given is not None and _VALID_REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


def _owner_fields(scope: Scope) -> dict[str, str]:
    """namespace and user_id when the query string names them."""
    query = scope.get("query_string", b"")
    if not any(name.encode() in query for name in _OWNER_PARAMS):
        return {}
    params = parse_qs(query.decode("latin-1"))
    return {name: params[name][0][:256] for name in _OWNER_PARAMS if params.get(name)}


class RequestObserver:
    """One log record and one metrics sample per HTTP request; echoes or assigns X-Request-ID.

    The log record (logger `agent_memory_server.requests`, INFO) carries method, route
    (template), status, latency_ms, request_id, and namespace / user_id when the query names
    them. The request id is also set for every other record logged while the request runs.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _request_id(scope)
        root_path = str(scope.get("root_path", ""))
        status = 500  # what the server error middleware answers if the app raises

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        token = current_request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)
            seconds = time.perf_counter() - start
            method = scope["method"]
            route = _route_template(scope, root_path)
            self.metrics.observe_request(method, route, status, seconds)
            if request_logger.isEnabledFor(logging.INFO):
                _log_request(scope, method, route, status, seconds, request_id)


def _log_request(
    scope: Scope, method: str, route: str, status: int, seconds: float, request_id: str
) -> None:
    latency_ms = round(seconds * 1000, 2)
    fields = {
        "method": method, "route": route, "status": status, "latency_ms": latency_ms,
        "request_id": request_id, **_owner_fields(scope),
    }  # fmt: skip
    # The record `.info()` would make, without its stack walk to find the caller (~10 us).
    record = request_logger.makeRecord(
        request_logger.name, logging.INFO, __file__, 0, "%s %s %d %.2fms",
        (method, route, status, latency_ms), None, extra=fields,
    )  # fmt: skip
    request_logger.handle(record)
