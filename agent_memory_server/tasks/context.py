"""How a task reaches the Resources of the worker that runs it (a Docket dependency)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from docket import ExponentialRetry

from agent_memory_server.providers.priority import mark_background
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy

_current: ContextVar[Resources] = ContextVar("agent_memory_resources")


def bind_resources(resources: Resources) -> None:
    """Make `resources` visible to the tasks the current context's worker will run, whose
    model calls then run at a lower CPU priority than requests (providers/priority.py)."""
    _current.set(resources)
    mark_background()


def current_resources() -> Resources:
    """Docket dependency: `resources: Resources = Depends(current_resources)`."""
    try:
        return _current.get()
    except LookupError as e:
        raise RuntimeError("task run outside a worker started by run_worker()") from e


RETRY_ATTEMPTS = 6


def default_retry() -> ExponentialRetry:
    """The retry policy of every task: 6 attempts, exponential back-off from 1 s to 60 s."""
    return ExponentialRetry(
        attempts=RETRY_ATTEMPTS,
        minimum_delay=timedelta(seconds=1),
        maximum_delay=timedelta(seconds=60),
    )


# The type of every task's `caller` argument: the principal that queued it, as plain data.
Caller = dict[str, Any] | None


@contextmanager
def as_caller(caller: Caller) -> Iterator[None]:
    """Run a task body as the caller that queued it (services/scheduler.py sends `caller`)."""
    with tenancy.acting_as(tenancy.from_wire(caller)):
        yield
