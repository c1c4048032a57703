"""The Docket tasks. Each is idempotent and safe to retry; bodies call one service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from docket import Depends, ExponentialRetry

from agent_memory_server.resources import Resources
from agent_memory_server.services.summarization import summarize_session
from agent_memory_server.tasks.context import current_resources

RETRY_ATTEMPTS = 6


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


TASKS = [summarize_working_memory]
