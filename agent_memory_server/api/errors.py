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


def domain_error_response(exc: Exception) -> JSONResponse:
    """The status of the error's kind and its message as `detail`."""
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)
    message = exc.message if isinstance(exc, errors.MemoryServerError) else str(exc)
    headers = {"Retry-After": "5"} if status == 503 else None
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    return domain_error_response(exc)


async def _unreachable(request: Request, exc: Exception) -> JSONResponse:
    return domain_error_response(errors.unreachable(exc))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.MemoryServerError, _domain_error)
    for kind in errors.UNREACHABLE:
        app.add_exception_handler(kind, _unreachable)
