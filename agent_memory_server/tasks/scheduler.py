"""The one scheduler interface: services enqueue background work here, backed by Docket.

Tasks are enqueued by name; `open_resources` registers the task collection with Docket, so
services never import the task bodies (which import the services).
"""

from __future__ import annotations

import json
from datetime import timedelta

from agent_memory_server.models.common import utcnow
from agent_memory_server.resources import Resources
from agent_memory_server.storage.working import SessionRef

QUEUED_MARKER_SECONDS = 120


async def schedule_summarization(resources: Resources, ref: SessionRef) -> None:
    """Queue one summarization per session; a repeat while one is queued is a no-op."""
    when = utcnow() + timedelta(seconds=resources.settings.summarization_debounce_seconds)
    await resources.docket.add(
        "summarize_working_memory",
        when=when,
        key=resources.keys.summarization_task(ref.namespace, ref.session_id),
    )(ref.namespace, ref.session_id)


async def schedule_after_write(resources: Resources, ids: list[str], deduplicate: bool) -> None:
    """Topics, entities and near-duplicate merging for just-written records, in the background."""
    await resources.docket.add("after_long_term_write")(ids, deduplicate)


async def schedule_session_processing(
    resources: Resources, ref: SessionRef, user_id: str | None
) -> None:
    """Promotion and extraction of a session, debounced per namespace + user + session.

    While a task of the session is queued and not started, a write queues nothing (one SET NX
    instead of a Docket submission and a task run per write): the queued run reads the session
    when it starts. The marker expires after QUEUED_MARKER_SECONDS, should a run never start.
    """
    if not await resources.working.mark_queued(ref, user_id, QUEUED_MARKER_SECONDS):
        return
    scope = json.dumps([ref.namespace, user_id, ref.session_id])
    try:
        await resources.docket.add("process_session")(scope, ref.namespace, ref.session_id)
    except Exception:
        await resources.working.clear_queued(ref, user_id)
        raise
