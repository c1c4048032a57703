"""Domain errors raised by the services; each door maps them once (api/errors.py)."""

from __future__ import annotations

import logging

from redis import exceptions as redis_errors

logger = logging.getLogger(__name__)


class MemoryServerError(Exception):
    """Base of every error the services raise on purpose."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(MemoryServerError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class InvalidRequest(MemoryServerError):
    """The request is malformed or contradicts itself."""


class LimitExceeded(MemoryServerError):
    """The request is well-formed but over a configured limit (the message names the setting)."""


class Conflict(MemoryServerError):
    """The request conflicts with stored state (ambiguous session, owner mismatch)."""


class Unauthorized(MemoryServerError):
    """No or bad credentials."""


class Forbidden(MemoryServerError):
    """Credentials are fine but do not allow this."""


class BackendUnavailable(MemoryServerError):
    """Redis or a model provider cannot be reached; a retry may help."""

    retryable = True


class FeatureUnavailable(MemoryServerError):
    """An optional feature whose extra is not installed on this server."""


class ConfigurationError(MemoryServerError):
    """The server cannot start with the given settings."""


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
