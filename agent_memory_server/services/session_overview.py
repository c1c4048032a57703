"""Sessions at a glance: each one's size against its window, for listings (the workbench).

Read without recording an access (a look at the list renews no TTL), and confined to the
caller's tenants like `working_memory.list_sessions`.
"""

from __future__ import annotations

from typing import Any

from agent_memory_server.models.working_memory import SessionOverview, SessionOverviewList
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.services.summarization import budget_for


def _overview(resources: Resources, row: dict[str, Any]) -> SessionOverview:
    settings = resources.settings
    context = row.pop("context", None)
    session = SessionOverview.model_validate({**row, "has_summary": bool(context)})
    window = session.context_window_max
    if window:
        threshold = budget_for(
            window, settings.summarization_threshold, settings.summary_max_tokens
        ).threshold
        session.summarization_threshold_tokens = threshold
        session.context_percentage_total_used = round(min(100.0, 100 * session.tokens / window), 2)
        session.context_percentage_until_summarization = round(
            min(100.0, 100 * session.tokens / threshold), 2
        )
    return session


async def session_overview(
    resources: Resources, *, namespace: str | None, user_id: str | None, offset: int, limit: int
) -> SessionOverviewList:
    """A page of sessions, most recently updated first, and the total."""
    namespaces = tenancy.namespaces_to_list(namespace=namespace)
    _, own_user = tenancy.own(namespace=None, user_id=None)
    if namespaces == [] or (own_user is not None and user_id not in (None, own_user)):
        return SessionOverviewList(sessions=[], total=0)  # another tenant's: nothing to list
    rows, total = await resources.working.overview(namespaces, user_id or own_user, offset, limit)
    return SessionOverviewList(sessions=[_overview(resources, r) for r in rows], total=total)
