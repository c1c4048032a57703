"""Domain errors -> HTTP status (errors.py's table) and a JSON body whose `detail` says what was
wrong; request validation errors -> 422 that never fails to render."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from agent_memory_server import errors
from agent_memory_server.models import json_values


def error_response(exc: Exception) -> JSONResponse:
    """For an errors.ANSWERED error: the status of its kind and its message as `detail`."""
    error = errors.as_domain_error(exc)
    return JSONResponse({"detail": error.message}, status_code=error.status, headers=error.headers)


async def _answer(request: Request, exc: Exception) -> JSONResponse:
    return error_response(exc)


def _echoable(item: dict[str, Any]) -> dict[str, Any]:
    """A validation error as FastAPI renders it, with its `input` (and `ctx`) echoed only when
    they can be sent back as JSON: a NaN, a lone surrogate or a deep value cannot."""
    if json_values.problem({k: item.get(k) for k in ("input", "ctx")}) is None:
        return item
    return {k: v for k, v in item.items() if k not in ("input", "ctx")}


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """422 with FastAPI's `detail` list; never a 500 because the input cannot be echoed."""
    assert isinstance(exc, RequestValidationError)
    try:
        detail = jsonable_encoder([_echoable(dict(e)) for e in exc.errors()])
    except (ValueError, RecursionError):
        detail = [{"type": e["type"], "loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    for kind in errors.ANSWERED:
        app.add_exception_handler(kind, _answer)
    app.add_exception_handler(RequestValidationError, _invalid)
