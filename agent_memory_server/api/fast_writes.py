"""The hot JSON-body routes (PUT a session, append, create, search, memory prompt) without
FastAPI's per-request machinery.

A profile of PUT /v1/working-memory/{id} (10 messages) put a third of the server's CPU into
FastAPI resolving the route's parameters and dependencies: it inspects each parameter's
annotation again on every request. This pure ASGI middleware, beside api/fast_reads.py and
like it the innermost (inside authentication, limits and the request log), answers the
well-formed request itself: it checks the query against the route's own constraints, decodes
the body with the routes' strict decoder, validates it with the route's body model, calls the
route's own endpoint function and serializes its answer as FastAPI does (the response model's
JSON). Anything it is not sure of (an unknown, repeated or invalid query parameter, another
content type, a body that does not decode or validate) goes on to the FastAPI route with the
body as it was read, so FastAPI stays the single definition of the contract and answers every
422. tests/integration/test_fast_writes.py holds the two to the same answers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent_memory_server.api import fast_reads
from agent_memory_server.api.errors import error_response
from agent_memory_server.api.routes import long_term, prompt, sessions, working_memory
from agent_memory_server.api.strict_json import loads
from agent_memory_server.errors import ANSWERED
from agent_memory_server.models.long_term import (
    CreateMemoryRequest,
    MemoryPromptRequest,
    SearchRequest,
)
from agent_memory_server.models.working_memory import AppendRequest, WorkingMemory
from agent_memory_server.resources import Resources
from agent_memory_server.services.working_memory import Window

Params = dict[str, str | int]
# (resources, session id or None, query, body) -> what the endpoint returns
Endpoint = Callable[[Resources, str | None, Params, Any], Awaitable[Any]]

_SESSION_QUERY: fast_reads.Rules = {
    name: rule for name, rule in fast_reads._PARAMS.items() if name != "recent_messages_limit"
}
_COMPATIBILITY: fast_reads.Rules = {"optimize_query": ("bool", 0, 1)}


def _window(query: Params) -> Window:
    return Window(
        fast_reads._text(query, "model_name"), fast_reads._int(query, "context_window_max")
    )


async def _put(resources: Resources, session_id: str | None, query: Params, body: Any) -> Any:
    assert session_id is not None
    return await working_memory.put_working_memory(
        session_id, body, resources, _window(query),
        namespace=fast_reads._text(query, "namespace"), user_id=fast_reads._text(query, "user_id"),
    )  # fmt: skip


async def _append(resources: Resources, session_id: str | None, query: Params, body: Any) -> Any:
    assert session_id is not None
    return await sessions.append_memory(
        session_id, body, resources, _window(query),
        namespace=fast_reads._text(query, "namespace"), user_id=fast_reads._text(query, "user_id"),
    )  # fmt: skip


async def _create(resources: Resources, session_id: str | None, query: Params, body: Any) -> Any:
    return await long_term.create_long_term_memory(body, resources)


async def _search(resources: Resources, session_id: str | None, query: Params, body: Any) -> Any:
    return await long_term.search_long_term_memory(
        body, resources, optimize_query=bool(query.get("optimize_query", 0))
    )


async def _prompt(resources: Resources, session_id: str | None, query: Params, body: Any) -> Any:
    return await prompt.prompt(
        body, resources, optimize_query=bool(query.get("optimize_query", 0)),
        token_counts=bool(query.get("token_counts", 0)),
    )  # fmt: skip


@dataclass(frozen=True)
class _Route:
    """One route the middleware answers: `prefix{session_id}suffix`, or `prefix` exactly when
    the route has no session id."""

    method: str
    prefix: str
    suffix: str | None  # None: a fixed path
    query: fast_reads.Rules
    body: type[BaseModel]
    endpoint: Endpoint
    route: APIRoute  # the FastAPI route: set in the scope as FastAPI sets it (the request log)
    answer: TypeAdapter[Any]  # the route's response model: serializes what it returns

    def session_id(self, path: str) -> str | None:
        if self.suffix is None:
            return "" if path == self.prefix else None
        return fast_reads._session_id(path, self.prefix, self.suffix)


def _route(
    method: str, prefix: str, suffix: str | None, query: fast_reads.Rules,
    body: type[BaseModel], call: Endpoint, endpoint: Callable[..., Any], router: APIRouter,
) -> _Route:  # fmt: skip
    route = next(r for r in router.routes if getattr(r, "endpoint", None) is endpoint)
    assert isinstance(route, APIRoute)
    answer: TypeAdapter[Any] = TypeAdapter(route.response_model)
    return _Route(method, prefix, suffix, query, body, call, route, answer)


def _routes() -> list[_Route]:
    prompt_query: fast_reads.Rules = {**_COMPATIBILITY, "token_counts": ("bool", 0, 1)}
    return [
        _route("PUT", "/v1/working-memory/", "", _SESSION_QUERY, WorkingMemory, _put,
               working_memory.put_working_memory, working_memory.router),
        _route("POST", "/sessions/", "/memory", _SESSION_QUERY, AppendRequest, _append,
               sessions.append_memory, sessions.router),
        _route("POST", "/v1/long-term-memory/", None, {}, CreateMemoryRequest, _create,
               long_term.create_long_term_memory, long_term.router),
        _route("POST", "/v1/long-term-memory/search", None, _COMPATIBILITY, SearchRequest,
               _search, long_term.search_long_term_memory, long_term.router),
        _route("POST", "/v1/memory/prompt", None, prompt_query, MemoryPromptRequest, _prompt,
               prompt.prompt, prompt.router),
    ]  # fmt: skip


def _json_content(scope: Scope) -> bool:
    """The request says its body is JSON, in the one spelling the fast path takes."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: bytes = value.split(b";", 1)[0].strip().lower()
            return media_type == b"application/json"
    return False


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: nothing to answer
            raise _Disconnected
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class _Disconnected(Exception):
    pass


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read already, then what the client sends next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class JsonWrites:
    """Serves the well-formed requests of the routes above; passes every other one on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.routes = _routes()
        self.methods = frozenset(r.method for r in self.routes)

    def _match(self, scope: Scope) -> tuple[_Route, str, Params] | None:
        method, path = scope["method"], scope["path"]
        for route in self.routes:
            if route.method != method:
                continue
            session_id = route.session_id(path)
            if session_id is None:
                continue
            query = fast_reads._parse_query(scope["query_string"], route.query)
            return None if query is None else (route, session_id, query)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in self.methods:
            await self.app(scope, receive, send)
            return
        matched = self._match(scope)
        if matched is None or not _json_content(scope):
            await self.app(scope, receive, send)
            return
        route, session_id, query = matched
        try:
            raw = await _read_body(receive)
        except _Disconnected:
            return
        try:
            body = route.body.model_validate(loads(raw))
        except (json.JSONDecodeError, ValidationError):  # FastAPI answers 422 as it does
            await self.app(scope, _replay(raw, receive), send)
            return
        scope["route"] = route.route
        resources: Resources = scope["app"].state.resources
        response: Response
        try:
            answer = await route.endpoint(resources, session_id or None, query, body)
        except ANSWERED as e:
            response = error_response(e)
        else:
            if not isinstance(answer, Response):
                content = route.answer.dump_json(answer, by_alias=True)
                answer = Response(content, media_type="application/json")
            response = answer
        await response(scope, receive, send)
