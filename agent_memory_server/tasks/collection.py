"""The Docket tasks. Each is idempotent and safe to retry; bodies call one service."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from docket import Debounce, Depends, ExponentialRetry

from agent_memory_server.resources import Resources
from agent_memory_server.services.long_term import enrich_stored
from agent_memory_server.services.promotion import process_session as process
from agent_memory_server.services.summarization import summarize_session
from agent_memory_server.tasks.context import current_resources

RETRY_ATTEMPTS = 6
# Writes to one session within this window are promoted and extracted together.
SESSION_SETTLE = timedelta(milliseconds=500)


def _retry() -> Any:
    return ExponentialRetry(
        attempts=RETRY_ATTEMPTS,
        minimum_delay=timedelta(seconds=1),
        maximum_delay=timedelta(seconds=60),
    )


async def summarize_working_memory(
    namespace: str | None,
    session_id: str,
    retry: ExponentialRetry = _retry(),  # noqa: B008 - Docket reads dependencies from defaults
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> int:
    """Fold old messages of a session into its summary (the LLM's, or the local one)."""
    ref = resources.working.ref(namespace, session_id)
    return await summarize_session(resources, ref)


async def process_session(
    scope: Annotated[str, Debounce(SESSION_SETTLE)],
    namespace: str | None,
    session_id: str,
    retry: ExponentialRetry = _retry(),  # noqa: B008
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> None:
    """Promote a session's memories and extract memories from its messages.

    `scope` is [namespace, user_id, session_id]: the debounce is per tenant and session.
    """
    await process(resources, namespace, session_id)


async def enrich_memories(
    ids: list[str],
    retry: ExponentialRetry = _retry(),  # noqa: B008
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> int:
    """Topics and entities for records written without them."""
    return await enrich_stored(resources, ids)


TASKS = [summarize_working_memory, process_session, enrich_memories]
