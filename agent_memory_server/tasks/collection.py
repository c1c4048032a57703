"""The Docket tasks. Each is idempotent and safe to retry; bodies call one service."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

from docket import Debounce, Depends, ExponentialRetry

from agent_memory_server.resources import Resources
from agent_memory_server.services.post_write import after_write
from agent_memory_server.services.promotion import process_session as process
from agent_memory_server.services.summarization import summarize_session
from agent_memory_server.tasks.context import Caller, as_caller, current_resources, default_retry
from agent_memory_server.tasks.summary_view_tasks import SUMMARY_VIEW_TASKS
from agent_memory_server.tasks.upkeep_tasks import MAINTENANCE_TASKS

# Writes to one session within this window are promoted and extracted together.
SESSION_SETTLE = timedelta(milliseconds=500)


async def summarize_working_memory(
    namespace: str | None,
    session_id: str,
    caller: Caller = None,
    retry: ExponentialRetry = default_retry(),  # noqa: B008 - Docket reads dependencies from defaults
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> int:
    """Fold old messages of a session into its summary (the LLM's, or the local one)."""
    ref = resources.working.ref(namespace, session_id)
    with as_caller(caller):
        return await summarize_session(resources, ref)


async def process_session(
    scope: Annotated[str, Debounce(SESSION_SETTLE)],
    namespace: str | None,
    session_id: str,
    caller: Caller = None,
    retry: ExponentialRetry = default_retry(),  # noqa: B008
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> None:
    """Promote a session's memories and extract memories from its messages, as the caller
    that wrote the session.

    `scope` is [namespace, user_id, session_id, caller name]: the debounce is per tenant,
    session and caller.
    """
    ref = resources.working.ref(namespace, session_id)
    parts = json.loads(scope)  # [namespace, user_id, session_id, caller name]
    by = parts[3] if len(parts) > 3 else None  # a task queued before callers travelled
    await resources.working.clear_queued(ref, parts[1], by)  # later writes queue again
    with as_caller(caller):
        await process(resources, namespace=namespace, session_id=session_id)


async def after_long_term_write(
    ids: list[str],
    deduplicate: bool = True,
    caller: Caller = None,
    retry: ExponentialRetry = default_retry(),  # noqa: B008
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> None:
    """Topics and entities for records written without them; merge near-duplicates."""
    with as_caller(caller):
        await after_write(resources, ids, deduplicate)


TASKS = [
    summarize_working_memory,
    process_session,
    after_long_term_write,
    *MAINTENANCE_TASKS,
    *SUMMARY_VIEW_TASKS,
]
