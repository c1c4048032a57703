"""Erasure of everything a user owns (GDPR article 17), in one call.

Working-memory sessions, long-term records (with their access stats and dedup pointers) and
the stored summary-view partitions grouped by that user go. Summaries of wider groups (a
namespace, a memory type) are recomputed from what remains by their next run. Repeated until
nothing is left, so writes that land during the erasure are erased too.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.services.compaction import records_in_scope, scope_filter
from agent_memory_server.services.long_term import delete_memories
from agent_memory_server.storage.keys import partition_digest

ROUNDS = 5


@dataclass(frozen=True)
class ErasureResult:
    sessions_deleted: int
    memories_deleted: int
    summaries_deleted: int


async def _summaries_of(resources: Resources, *, user_id: str, namespace: str | None) -> int:
    store = resources.summary_views
    dropped = 0
    for view in await store.list_views():
        mine = [
            partition_digest(p["group"])
            for p in await store.list_partitions(view["id"])
            if p["group"].get("user_id") == user_id
            and (namespace is None or p["group"].get("namespace") in (None, namespace))
        ]
        dropped += await store.drop_partitions(view["id"], mine)
    return dropped


async def erase_user(
    resources: Resources, *, user_id: str, namespace: str | None = None
) -> ErasureResult:
    """Delete a user's sessions, memories and per-user summaries (one namespace, or all).

    Raises:
        Forbidden: the caller's credentials do not cover this user (or namespace).
    """
    namespace, _ = tenancy.scope(
        namespace=namespace, user_id=user_id, what=f"Erasing user {user_id!r}"
    )
    sessions = memories = 0
    for _ in range(ROUNDS):
        refs = await resources.working.owned_by(user_id, namespace)
        sessions += await resources.working.delete_many(refs)
        records = await records_in_scope(
            resources, scope_filter(namespace=namespace, user_id=user_id)
        )
        if records:
            memories += await delete_memories(resources, [r.id for r in records])
        if not refs and not records:
            break
    summaries = await _summaries_of(resources, user_id=user_id, namespace=namespace)
    return ErasureResult(sessions, memories, summaries)
