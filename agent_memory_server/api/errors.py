"""Domain errors -> HTTP status and a JSON body whose `detail` says what was wrong."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from agent_memory_server import errors

STATUS: dict[type[errors.MemoryServerError], int] = {
    errors.InvalidRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.LimitExceeded: 422,
    errors.BackendUnavailable: 503,
    errors.ConfigurationError: 503,
    errors.FeatureUnavailable: 501,
}


def error_response(exc: Exception) -> JSONResponse:
    """For an errors.ANSWERED error: the status of its kind and its message as `detail`."""
    error = errors.as_domain_error(exc)
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 500)
    headers = {"Retry-After": "5"} if status == 503 else None
    return JSONResponse({"detail": error.message}, status_code=status, headers=headers)


async def _answer(request: Request, exc: Exception) -> JSONResponse:
    return error_response(exc)


def install_error_handlers(app: FastAPI) -> None:
    for kind in errors.ANSWERED:
        app.add_exception_handler(kind, _answer)
