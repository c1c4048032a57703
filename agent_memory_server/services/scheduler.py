"""The one scheduler interface: services enqueue background work here, backed by Docket.

Tasks are enqueued by name; `open_resources` registers the task collection with Docket, so
services never import the task bodies (which import the services).

The caller travels with the work: every task is sent with `caller`, the principal of whoever
queued it (services/tenancy.py `to_wire`; None for an unconfined caller, the CLI and the
periodic jobs), and runs under it (tasks/context.py `as_caller`), so the tenant rules hold in
the background as at the door.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from docket import Execution

from agent_memory_server.errors import ConfigurationError
from agent_memory_server.models.common import utcnow
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.storage.working import SessionRef

QUEUED_MARKER_SECONDS = 120


async def enqueue(
    resources: Resources,
    task: str | Callable[..., Any],
    *args: Any,
    key: str | None = None,
    when: datetime | None = None,
    **kwargs: Any,
) -> Execution:
    """Queue `task(*args, **kwargs)` as the current caller."""
    caller = tenancy.to_wire(tenancy.current())
    add = resources.docket.add(task, when=when, key=key)
    execution: Execution = await add(*args, **kwargs, caller=caller)
    return execution


def check_registered(resources: Resources, task: str) -> None:
    """Raises ConfigurationError unless `task` is in this server's task collection."""
    if task not in resources.docket.tasks:
        raise ConfigurationError(
            f"the task {task!r} is not registered with this server's task collection"
        )


async def schedule_summarization(resources: Resources, ref: SessionRef) -> None:
    """Queue one summarization per session; a repeat while one is queued is a no-op."""
    when = utcnow() + timedelta(seconds=resources.settings.summarization_debounce_seconds)
    key = resources.working.summarization_task_key(ref)
    await enqueue(resources, "summarize_working_memory", ref.namespace, ref.session_id,
                  key=key, when=when)  # fmt: skip


async def schedule_after_write(resources: Resources, ids: list[str], deduplicate: bool) -> None:
    """Topics, entities and near-duplicate merging for just-written records, in the background."""
    await enqueue(resources, "after_long_term_write", ids, deduplicate)


async def schedule_session_processing(
    resources: Resources, ref: SessionRef, *, user_id: str | None
) -> None:
    """Promotion and extraction of a session, debounced per namespace + user + session and
    caller (writes by different callers are never merged into one run under one of them).

    While a task of the session and caller is queued and not started, a write queues nothing
    (one SET NX instead of a Docket submission and a task run per write): the queued run reads
    the session when it starts. The marker expires after QUEUED_MARKER_SECONDS, should a run
    never start. A session write can set the marker itself (`queued_marker`, then
    `enqueue_session_processing`).
    """
    user, caller, seconds = queued_marker(user_id)
    if await resources.working.mark_queued(ref, user, caller, seconds):
        await enqueue_session_processing(resources, ref, user_id=user_id)


def queued_marker(user_id: str | None) -> tuple[str | None, str | None, int]:
    """(user_id, caller, seconds) of the session's queued-run marker for the current caller."""
    principal = tenancy.current()
    return user_id, None if principal is None else principal.name, QUEUED_MARKER_SECONDS


async def enqueue_session_processing(
    resources: Resources, ref: SessionRef, *, user_id: str | None
) -> None:
    """Queue the session's processing, its marker just set by this caller (cleared again if
    the task cannot be queued)."""
    _, caller, _ = queued_marker(user_id)
    scope = json.dumps([ref.namespace, user_id, ref.session_id, caller])
    try:
        await enqueue(resources, "process_session", scope, ref.namespace, ref.session_id)
    except Exception:
        await resources.working.clear_queued(ref, user_id, caller)
        raise
