"""Compaction of long-term memory: exact copies removed, near-duplicates merged into one.

Records are compared only with records of the same owner: the same namespace and the same
user_id, where a record without a namespace (or user) is owned by "no namespace" (or "no
user") and never meets records that have one.

Rules:
- Pinned records take no part: they are never deleted, rewritten or merged into, and an
  unpinned copy of a pinned record is left as it is. Neither do `message` records (a
  transcript line said twice was said twice).
- Only records of the same memory type are merged.
- Exact duplicates have the same `memory_hash` (the text ignoring case and spacing).
- Near-duplicates are within `settings.compaction_distance_threshold` cosine distance of a
  seed record (not necessarily of each other; seeds are taken newest first). When the LLM
  rewrote the text, the merged record is the seed again. Closeness is not chained: of
  A ~ B ~ C with A and C farther apart than the threshold, two records may remain.
- A merge keeps the id of the newest member (`created_at`, then id). Its text is the LLM's
  merge of all members' texts (oldest first, the newest wins on conflicts) when an LLM is
  configured, else the newest member's text; it is re-embedded only if its text changed.
  It has the earliest `created_at`, the latest last access (of every member's `created_at`,
  `last_accessed` and search access), `updated_at` now, the union of topics, entities and
  `extracted_from`, metadata merged oldest to newest, the newest non-empty `event_date`, and
  the newest member's type and session. Access counts of absorbed records are not carried over.
- The merged record is written before the others are deleted (through delete_memories, so
  dedup pointers stay right), so a crash leaves duplicates, never a loss. A group whose
  members changed since they were read is left for the next run. A compacted store is left
  as it is by another run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from redisvl.query.filter import FilterExpression, Tag

from agent_memory_server.models.common import utcnow
from agent_memory_server.models.filters import TagFilter
from agent_memory_server.models.memory_record import MemoryRecord, MemoryType
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.services.long_term import content_hash, delete_memories
from agent_memory_server.storage.dedup import HashPointer
from agent_memory_server.storage.filters import combine

logger = logging.getLogger(__name__)

PAGE = 500
MAX_CLUSTER = 50  # neighbours merged into a seed per round
MAX_ROUNDS = 5  # rounds per seed (the merged record is the next round's seed)
MERGE_MAX_TOKENS = 512
SAME_TIME = 0.001  # seconds: a stored time read back equals the one written

MERGE_SYSTEM_PROMPT = (
    "You merge near-duplicate memories an AI assistant keeps about a user into one memory. "
    "Keep every distinct fact, name, number, date, place and preference; where the memories "
    "conflict, the later one wins. Answer with the merged memory only: one or two plain "
    "sentences, no preamble, no list."
)


@dataclass(frozen=True)
class CompactionResult:
    """Counts of one compaction run; kept = scanned - removed - merged."""

    scanned: int
    exact_duplicates_removed: int
    semantic_merged: int
    kept: int


def scope_filter(
    *, namespace: str | None, user_id: str | None, session_id: str | None = None
) -> FilterExpression | None:
    """Records of the given namespace/user/session; None for a field means any value."""
    given = {"namespace": namespace, "user_id": user_id, "session_id": session_id}
    return combine({f: TagFilter(eq=v) for f, v in given.items() if v is not None}, {})


def owner_filter(*, namespace: str | None, user_id: str | None) -> FilterExpression:
    """Records of exactly this owner: None matches records without the field.

    A TAG filter cannot match a missing field, and the index has no INDEXMISSING; RediSearch
    2.10 (dialect 2) matches it as the negation of the any-value wildcard, `-@f:{w'*'}`.
    """
    parts: list[FilterExpression] = []
    for field, value in (("namespace", namespace), ("user_id", user_id)):
        if value is None:
            parts.append(FilterExpression(f"(-@{field}:{{w'*'}})"))
        else:
            parts.append(Tag(field) == value)
    return parts[0] & parts[1]


def _peers(record: MemoryRecord) -> FilterExpression:
    """Records a record may be merged with: same owner, same memory type."""
    return owner_filter(namespace=record.namespace, user_id=record.user_id) & (
        Tag("memory_type") == record.memory_type.value
    )


async def records_in_scope(
    resources: Resources, where: FilterExpression | None
) -> list[MemoryRecord]:
    """Every record matching `where` (newest first), read from the index page by page."""
    seen: dict[str, MemoryRecord] = {}
    offset = 0
    while True:
        page, total = await resources.long_term.listing(where, offset, PAGE)
        for record in page:
            seen.setdefault(record.id, record)
        offset += PAGE
        if not page or offset >= total:
            return list(seen.values())


async def _read_exact(resources: Resources, ids: Sequence[str]) -> dict[str, MemoryRecord]:
    """Records as stored (search results round times to about 10 ms), by id."""
    live: dict[str, MemoryRecord] = {}
    for start in range(0, len(ids), PAGE):
        for record in await resources.long_term.get_many(ids[start : start + PAGE]):
            if record is not None:
                live[record.id] = record
    return live


def _age_key(record: MemoryRecord) -> tuple[float, str]:
    return record.created_at.timestamp(), record.id


def _union(lists: Iterable[list[str] | None]) -> list[str] | None:
    merged = dict.fromkeys(v for values in lists for v in values or [])
    return list(merged) or None


def merge_records(members: Sequence[MemoryRecord], text: str) -> MemoryRecord:
    """The record that replaces `members` (see the module's rules); `text` is its text."""
    ordered = sorted(members, key=_age_key)
    newest = ordered[-1]
    metadata: dict[str, Any] = {}
    for member in ordered:
        metadata.update(member.metadata or {})
    last_access = max(max(m.last_accessed, m.created_at) for m in ordered)
    event_dates = [m.event_date for m in reversed(ordered) if m.event_date is not None]
    return newest.model_copy(
        update={
            "text": text,
            "memory_hash": content_hash(text),
            "topics": _union(m.topics for m in reversed(ordered)),
            "entities": _union(m.entities for m in reversed(ordered)),
            "extracted_from": _union(m.extracted_from for m in reversed(ordered)),
            "metadata": metadata or None,
            "event_date": event_dates[0] if event_dates else None,
            "created_at": ordered[0].created_at,
            "last_accessed": last_access,
            "updated_at": utcnow(),
        }
    )


async def _merged_text(resources: Resources, ordered: Sequence[MemoryRecord]) -> str:
    newest = ordered[-1]
    if resources.llm is None or len({content_hash(m.text) for m in ordered}) == 1:
        return newest.text
    prompt = (
        "Memories, oldest first:\n"
        + "\n".join(f"{i}. {m.text}" for i, m in enumerate(ordered, start=1))
        + "\n\nWrite the one merged memory."
    )
    text = (await resources.llm.complete(MERGE_SYSTEM_PROMPT, prompt, MERGE_MAX_TOKENS)).strip()
    return text or newest.text


def _unchanged(seen: MemoryRecord, now: MemoryRecord | None) -> bool:
    return (
        now is not None
        and not now.pinned
        and abs((now.updated_at - seen.updated_at).total_seconds()) < SAME_TIME
        and now.text == seen.text
    )


async def _fresh(
    resources: Resources, members: Sequence[MemoryRecord]
) -> list[MemoryRecord] | None:
    """The members as stored now, oldest first; None if any was edited, pinned or deleted."""
    current = await resources.long_term.get_many([m.id for m in members])
    if not all(_unchanged(seen, now) for seen, now in zip(members, current, strict=True)):
        logger.info("compaction: %s changed since read; left for the next run", members[0].id)
        return None
    return sorted((r for r in current if r is not None), key=_age_key)


async def apply_merge(
    resources: Resources, members: Sequence[MemoryRecord]
) -> tuple[MemoryRecord, list[str]] | None:
    """Merge `members` into one record; returns it and the deleted ids, or None if skipped."""
    store = resources.long_term
    ordered = await _fresh(resources, members)
    if ordered is None:
        return None
    text = await _merged_text(resources, ordered)
    if resources.llm is not None and text != ordered[-1].text:
        ordered = await _fresh(resources, members)  # the LLM took a while: check again
        if ordered is None:
            return None
    newest = ordered[-1]
    merged = merge_records(ordered, text)
    vector: np.ndarray[Any, Any] | None = None
    if merged.text == newest.text:
        (vector,) = await store.get_vectors([newest.id])
    if vector is None:
        vector = (await resources.embedder.embed([merged.text]))[0]
    await store.upsert([(merged, vector)])
    old_pointer = HashPointer.of(newest, newest.memory_hash or "")
    new_pointer = HashPointer.of(merged, merged.memory_hash or "")
    if newest.memory_hash and old_pointer != new_pointer:
        await store.drop_pointer(old_pointer, newest.id)
    others = [m.id for m in ordered[:-1]]
    await delete_memories(resources, others)
    await store.claim_hashes([(new_pointer, merged.id)])  # unless another record holds it
    return merged, others


def _absorb(live: dict[str, MemoryRecord], merged: MemoryRecord, deleted: list[str]) -> int:
    """Update the working set after a merge; returns how many records went."""
    for memory_id in deleted:
        live.pop(memory_id, None)
    live[merged.id] = merged
    return len(deleted)


async def _remove_exact_duplicates(resources: Resources, live: dict[str, MemoryRecord]) -> int:
    groups: dict[tuple[Any, ...], list[MemoryRecord]] = defaultdict(list)
    for record in live.values():
        digest = record.memory_hash or content_hash(record.text)
        groups[record.namespace, record.user_id, record.memory_type, digest].append(record)
    removed = 0
    for members in groups.values():
        if len(members) < 2:
            continue
        outcome = await apply_merge(resources, members)
        if outcome is not None:
            removed += _absorb(live, *outcome)
    return removed


async def _merge_near_duplicates(resources: Resources, live: dict[str, MemoryRecord]) -> int:
    store = resources.long_term
    threshold = resources.settings.compaction_distance_threshold
    merged_count = 0
    for seed_id in sorted(live, key=lambda i: _age_key(live[i]), reverse=True):
        anchor = live.get(seed_id)
        for _ in range(MAX_ROUNDS):
            if anchor is None:
                break
            (vector,) = await store.get_vectors([anchor.id])
            if vector is None:
                break
            where = _peers(anchor) & (Tag("pinned") != "t")
            hits = await store.knn(vector, where, MAX_CLUSTER + 1, threshold)
            near = [h.id for h in hits if h.id != anchor.id and h.id in live]
            if not near:
                break
            outcome = await apply_merge(resources, [anchor, *(live[i] for i in near)])
            if outcome is None:
                break
            anchor = outcome[0]
            merged_count += _absorb(live, *outcome)
    return merged_count


async def compact(
    resources: Resources, *, namespace: str | None, user_id: str | None
) -> CompactionResult:
    """Remove exact duplicates and merge near-duplicates within a namespace/user scope.

    Args:
        namespace: only records of this namespace (None: every namespace, and none).
        user_id: only records of this user (None: every user, and none).

    Raises:
        BackendUnavailable: the LLM failed; what was merged so far stays merged, and
            running again continues from there.
    """
    namespace, user_id = tenancy.scope(namespace=namespace, user_id=user_id, what="Compaction")
    records = await records_in_scope(resources, scope_filter(namespace=namespace, user_id=user_id))
    ids = [r.id for r in records if not r.pinned and r.memory_type != MemoryType.MESSAGE]
    live = await _read_exact(resources, ids)
    exact = await _remove_exact_duplicates(resources, live)
    semantic = await _merge_near_duplicates(resources, live)
    if exact or semantic:
        logger.info("compaction: %s copies removed, %s near-duplicates merged", exact, semantic)
    return CompactionResult(len(records), exact, semantic, len(records) - exact - semantic)


async def find_semantic_duplicate(
    resources: Resources, record: MemoryRecord, vector: np.ndarray[Any, Any]
) -> str | None:
    """The id of the nearest other record of the same owner and type within the threshold.

    For the write path: `vector` is the new record's embedding. The record found may be
    pinned; a caller that would rewrite it must check (pinned records are never rewritten).
    """
    threshold = resources.settings.compaction_distance_threshold
    hits = await resources.long_term.knn(vector, _peers(record), 2, threshold)
    others = sorted((h for h in hits if h.id != record.id), key=lambda h: h.distance or 0.0)
    return others[0].id if others else None
