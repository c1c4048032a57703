"""One error table (errors.py): every domain error kind is answered by its own status over REST
and the HTTP middleware and by its own label over MCP."""

from __future__ import annotations

import inspect

from redis import exceptions as redis_errors

from agent_memory_server import errors
from agent_memory_server.api.errors import error_response
from agent_memory_server.mcp.errors import to_tool_error
from tests.support.mcp import KIND_OF_STATUS

KINDS = [
    kind
    for _, kind in inspect.getmembers(errors, inspect.isclass)
    if issubclass(kind, errors.MemoryServerError) and kind is not errors.MemoryServerError
]


def test_every_kind_has_a_row() -> None:
    assert len(KINDS) >= 9
    for kind in KINDS:
        assert 400 <= kind.status < 600 and kind.status != 500, kind
        assert kind.label and kind.advice, kind
        assert "status" in vars(kind) and "label" in vars(kind), f"{kind} inherits its row"


def test_every_kind_is_answered_alike_at_every_door() -> None:
    for kind in KINDS:
        error = kind("something went wrong")
        response = error_response(error)
        assert response.status_code == kind.status, kind
        assert response.body == b'{"detail":"something went wrong"}'
        tool_error = str(to_tool_error(error, "a_tool"))
        assert tool_error.startswith(f"{kind.label}: something went wrong. "), tool_error
        assert tool_error.endswith(kind.advice)
        if kind.status in KIND_OF_STATUS:  # what the MCP parity tests expect of each status
            assert KIND_OF_STATUS[kind.status] == kind.label, kind


def test_retry_and_auth_headers() -> None:
    assert errors.BackendUnavailable("x").headers == {"Retry-After": "5"}
    assert errors.Unauthorized("x").headers == {"WWW-Authenticate": "Bearer"}
    assert errors.NotFound("x").headers is None
    outage = error_response(redis_errors.ConnectionError("refused"))
    assert outage.status_code == 503 and outage.headers["retry-after"] == "5"
    assert b"refused" not in outage.body  # the cause is logged, never sent
