"""A dry run of compaction: which records a run would merge into which, changing nothing.

It follows the rules of services/compaction.py on the records as they are now: exact copies
(same owner, type and memory hash) go into the newest one; then, seeds newest first, the
records within COMPACTION_DISTANCE_THRESHOLD of a seed go into it. A real run may merge a
little more (a merged record seeds further rounds, with an LLM its text changes), never
records of another owner or type, pinned records or messages.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from redisvl.query.filter import Tag

from agent_memory_server.models.memory_record import MemoryRecord, MemoryType
from agent_memory_server.models.upkeep import CompactionGroup, CompactionPlan
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.services.compaction import (
    MAX_CLUSTER,
    _age_key,
    _peers,
    _read_exact,
    records_in_scope,
    scope_filter,
)
from agent_memory_server.services.long_term import content_hash


def _group(kind: str, members: list[MemoryRecord]) -> CompactionGroup:
    ordered = sorted(members, key=_age_key)
    keep = ordered[-1]
    return CompactionGroup(
        kind=kind, keep_id=keep.id, keep_text=keep.text,
        absorbed_ids=[m.id for m in ordered[:-1]], absorbed_texts=[m.text for m in ordered[:-1]],
    )  # fmt: skip


async def plan_compaction(
    resources: Resources, *, namespace: str | None, user_id: str | None
) -> CompactionPlan:
    """What `compact(namespace, user_id)` would merge now; nothing is written."""
    namespace, user_id = tenancy.scope(namespace=namespace, user_id=user_id, what="Compaction")
    records = await records_in_scope(resources, scope_filter(namespace=namespace, user_id=user_id))
    ids = [r.id for r in records if not r.pinned and r.memory_type != MemoryType.MESSAGE]
    live = await _read_exact(resources, ids)
    groups: list[CompactionGroup] = []
    copies: dict[tuple[Any, ...], list[MemoryRecord]] = defaultdict(list)
    for record in live.values():
        digest = record.memory_hash or content_hash(record.text)
        copies[record.namespace, record.user_id, record.memory_type, digest].append(record)
    for members in copies.values():
        if len(members) > 1:
            group = _group("exact", members)
            groups.append(group)
            for gone in group.absorbed_ids:
                live.pop(gone, None)
    threshold = resources.settings.compaction_distance_threshold
    for seed_id in sorted(live, key=lambda i: _age_key(live[i]), reverse=True):
        seed = live.get(seed_id)
        if seed is None:
            continue
        (vector,) = await resources.long_term.get_vectors([seed.id])
        if vector is None:
            continue
        where = _peers(seed) & (Tag("pinned") != "t")
        hits = await resources.long_term.knn(vector, where, MAX_CLUSTER + 1, threshold)
        near = [live[h.id] for h in hits if h.id != seed.id and h.id in live]
        if not near:
            continue
        group = _group("similar", [seed, *near])
        groups.append(group)
        for gone in {seed.id, *(m.id for m in near)} - {group.keep_id}:
            live.pop(gone, None)
    removed = sum(len(g.absorbed_ids) for g in groups if g.kind == "exact")
    merged = sum(len(g.absorbed_ids) for g in groups if g.kind == "similar")
    return CompactionPlan(
        scanned=len(records), exact_duplicates_removed=removed, semantic_merged=merged,
        kept=len(records) - removed - merged, dry_run=True, groups=groups,
    )  # fmt: skip
