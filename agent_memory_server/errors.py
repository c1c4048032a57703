"""Domain errors raised by the services, and the one table of what each means at every door.

Each kind carries its HTTP status (REST, and the HTTP middleware), its MCP label and advice
(a tool error reads `<label>: <message>. <advice>`) and the level it is logged at; api/errors.py,
mcp/errors.py and http/auth.py read them from here, so a new kind is answered alike everywhere.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from redis import exceptions as redis_errors

logger = logging.getLogger(__name__)


FIX_INPUT = "Fix the arguments; the same call will fail again."
RETRY_LATER = "Retry in a few seconds."


class MemoryServerError(Exception):
    """Base of every error the services raise on purpose (each kind sets the table below)."""

    retryable: bool = False
    status: ClassVar[int] = 500
    label: ClassVar[str] = "Internal error"
    advice: ClassVar[str] = "A retry may help if the failure was transient."
    log_level: ClassVar[int] = logging.ERROR

    @property
    def headers(self) -> dict[str, str] | None:
        """HTTP headers of the answer: when to retry (503), how to authenticate (401)."""
        if self.status == 503:
            return {"Retry-After": "5"}
        if self.status == 401:
            return {"WWW-Authenticate": "Bearer"}
        return None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(MemoryServerError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status = 404
    label = "Not found"
    advice = "Retrying will not help: check the id or namespace."
    log_level = logging.INFO


class InvalidRequest(MemoryServerError):
    """The request is malformed or contradicts itself."""

    status = 400
    label = "Invalid request"
    advice = FIX_INPUT
    log_level = logging.INFO


class LimitExceeded(MemoryServerError):
    """The request is well-formed but over a configured limit (the message names the setting)."""

    status = 422
    label = "Invalid input"
    advice = FIX_INPUT
    log_level = logging.INFO


class Conflict(MemoryServerError):
    """The request conflicts with stored state (ambiguous session, owner mismatch)."""

    status = 409
    label = "Conflict"
    advice = "Retrying will not help: name the namespace or owner."
    log_level = logging.INFO


class Unauthorized(MemoryServerError):
    """No or bad credentials."""

    status = 401
    label = "Not allowed"
    advice = "Retrying will not help."
    log_level = logging.WARNING


class Forbidden(MemoryServerError):
    """Credentials are fine but do not allow this."""

    status = 403
    label = "Not allowed"
    advice = "Retrying will not help."
    log_level = logging.WARNING


class BackendUnavailable(MemoryServerError):
    """Redis or a model provider cannot be reached; a retry may help."""

    status = 503
    label = "Unavailable"
    advice = RETRY_LATER
    log_level = logging.WARNING
    retryable = True


class FeatureUnavailable(MemoryServerError):
    """An optional feature whose extra is not installed on this server."""

    status = 501
    label = "Not available"
    advice = "Retrying will not help: the server lacks the optional extra."
    log_level = logging.INFO


class ConfigurationError(MemoryServerError):
    """The server cannot start with the given settings."""

    status = 503
    label = "Unavailable"
    advice = "The server is misconfigured; retrying will not help until it is fixed."
    log_level = logging.ERROR


# Redis failures that say "not reachable now" (refused, reset, timed out, still loading its
# data): the doors answer them as BackendUnavailable (503, retry) rather than as a crash.
UNREACHABLE: tuple[type[Exception], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
)


# What every door answers with a status of its own: the domain errors and Redis outages.
ANSWERED: tuple[type[Exception], ...] = (MemoryServerError, *UNREACHABLE)


def as_domain_error(error: Exception) -> MemoryServerError:
    """An ANSWERED error as the domain error a door maps: itself, or for a Redis outage
    BackendUnavailable (no hosts or internals in it; the cause goes to the log)."""
    if isinstance(error, MemoryServerError):
        return error
    logger.warning("Redis is unreachable: %s: %s", type(error).__name__, error)
    return BackendUnavailable("Redis is unreachable")
