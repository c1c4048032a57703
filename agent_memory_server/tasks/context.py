"""How a task reaches the Resources of the worker that runs it (a Docket dependency)."""

from __future__ import annotations

from contextvars import ContextVar

from agent_memory_server.resources import Resources

_current: ContextVar[Resources] = ContextVar("agent_memory_resources")


def bind_resources(resources: Resources) -> None:
    """Make `resources` visible to the tasks the current context's worker will run."""
    _current.set(resources)


def current_resources() -> Resources:
    """Docket dependency: `resources: Resources = Depends(current_resources)`."""
    try:
        return _current.get()
    except LookupError as e:
        raise RuntimeError("task run outside a worker started by run_worker()") from e
