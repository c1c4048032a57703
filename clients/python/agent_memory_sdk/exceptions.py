"""Typed errors of the client.

The names of agent-memory-client 0.14 are kept (MemoryClientError, MemoryValidationError,
MemoryNotFoundError, MemoryServerError), so `except` clauses written for it still match; each
HTTP status the server answers with has its own class below them.
"""

from __future__ import annotations


class MemoryClientError(Exception):
    """Base of every error this client raises."""


class MemoryValidationError(MemoryClientError, ValueError):
    """Input refused before it was sent (bad filter, empty text...)."""


class MemoryNotFoundError(MemoryClientError):
    """A session, memory, view or task does not exist (or is not visible to the caller)."""


class MemoryServerError(MemoryClientError):
    """The server answered with an error status; `detail` is its message."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = message


class InvalidRequestError(MemoryServerError, MemoryValidationError):
    """400 or 422: the request was malformed or over a limit; `detail` says what was wrong."""


class UnauthorizedError(MemoryServerError):
    """401: no token, or an unknown or expired one."""


class ForbiddenError(MemoryServerError):
    """403: the token does not allow this namespace or user."""


class NotFoundError(MemoryServerError, MemoryNotFoundError):
    """404: the thing asked for does not exist."""


class ConflictError(MemoryServerError):
    """409: the request conflicts with stored state (e.g. a session owned by another user)."""


class FeatureUnavailableError(MemoryServerError):
    """501: an optional server feature (e.g. topic modelling) is not installed."""


class UnavailableError(MemoryServerError):
    """503 after the retries ran out: Redis or a model provider is unreachable.

    `retry_after` is the server's Retry-After in seconds, when it sent one."""

    def __init__(
        self, message: str, status_code: int | None = 503, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status_code)
        self.retry_after = retry_after


class MemoryConnectionError(UnavailableError):
    """The server could not be reached at all (connection refused, DNS, timeout)."""


# Short aliases.
NotFound = NotFoundError
Conflict = ConflictError
Forbidden = ForbiddenError
Invalid = InvalidRequestError
Unavailable = UnavailableError
Unauthorized = UnauthorizedError

STATUS_ERRORS: dict[int, type[MemoryServerError]] = {
    400: InvalidRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: InvalidRequestError,
    422: InvalidRequestError,
    501: FeatureUnavailableError,
}
