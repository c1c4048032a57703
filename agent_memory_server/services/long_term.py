"""Long-term memory: create (dedup by id and content hash), get, edit, delete and search.

Records are embedded in one batch per request and written before the call returns, so they are
searchable as soon as the write is acknowledged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from agent_memory_server.errors import InvalidRequest, NotFound
from agent_memory_server.models.common import utcnow
from agent_memory_server.models.long_term import (
    EditMemoryRequest,
    MemoryRecordResult,
    MemoryRecordResults,
    SearchRequest,
)
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.resources import Resources
from agent_memory_server.services.ranking import Candidate, boost, fuse
from agent_memory_server.storage.filters import NUMERIC_FIELDS, TAG_FIELDS, combine, query_terms

_SPACE = re.compile(r"\s+")


def content_hash(text: str) -> str:
    """Hash of the text as a person reads it: case and spacing do not matter."""
    return hashlib.sha256(_SPACE.sub(" ", text).strip().casefold().encode()).hexdigest()


def _pointer(resources: Resources, record: MemoryRecord) -> str:
    assert record.memory_hash is not None
    return resources.keys.memory_hash(record.namespace, record.user_id, record.memory_hash)


async def create_memories(
    resources: Resources, records: Sequence[MemoryRecord], deduplicate: bool = True
) -> list[MemoryRecord]:
    """Store records; returns those written (duplicates by content are skipped when asked)."""
    now = utcnow()
    prepared = [
        r.model_copy(
            update={"memory_hash": content_hash(r.text), "persisted_at": now, "updated_at": now}
        )
        for r in records
    ]
    store = resources.long_term
    previous = await store.get_many([r.id for r in prepared])
    keep: list[MemoryRecord] = []
    repoint: list[tuple[str, str]] = []
    if deduplicate:
        seen: set[str] = set()
        holders = await store.claim_hashes([(_pointer(resources, r), r.id) for r in prepared])
        others = [h for h, r in zip(holders, prepared, strict=True) if h not in (None, r.id)]
        alive = dict(zip(others, await store.exists(others), strict=True))
        for record, holder in zip(prepared, holders, strict=True):
            pointer = _pointer(resources, record)
            held_by_other = holder not in (None, record.id) and alive[holder or ""]
            if pointer in seen or held_by_other:
                continue  # the same text for the same owner is already stored
            seen.add(pointer)
            if holder not in (None, record.id):
                repoint.append((pointer, record.id))  # the holder was deleted since
            keep.append(record)
    else:
        keep = list(prepared)
        repoint = [(_pointer(resources, r), r.id) for r in keep]
    await store.set_pointers(repoint)
    for old in previous:
        if (
            old is not None
            and old.memory_hash
            and all(
                _pointer(resources, old) != _pointer(resources, r) for r in keep if r.id == old.id
            )
        ):
            await store.drop_pointer(_pointer(resources, old), old.id)
    if keep:
        vectors = await resources.embedder.embed([r.text for r in keep])
        await store.upsert(list(zip(keep, vectors, strict=True)))
    return keep


async def get_memory(resources: Resources, memory_id: str) -> MemoryRecord:
    (record,) = await resources.long_term.get_many([memory_id])
    if record is None:
        raise NotFound(f"Memory {memory_id!r} not found")
    return record


async def edit_memory(
    resources: Resources, memory_id: str, changes: EditMemoryRequest
) -> MemoryRecord:
    """Apply the given fields; re-embed when the text changes. 400 when nothing changes."""
    record = await get_memory(resources, memory_id)
    updates = changes.model_dump(exclude_unset=True)
    if any(updates.get(name) is None for name in ("text",) if name in updates):
        raise InvalidRequest("text cannot be null")
    current = record.model_dump()
    changed = {k: v for k, v in updates.items() if current.get(k) != v}
    if not changed:
        raise InvalidRequest(f"Nothing to change: the update leaves memory {memory_id!r} as it is")
    edited = record.model_copy(update={**changed, "updated_at": utcnow()})
    edited = MemoryRecord.model_validate(edited.model_dump())
    edited.memory_hash = content_hash(edited.text)
    if "text" in changed:
        vector = (await resources.embedder.embed([edited.text]))[0]
    else:
        (stored,) = await resources.long_term.get_vectors([memory_id])
        vector = (
            stored if stored is not None else (await resources.embedder.embed([edited.text]))[0]
        )
    await resources.long_term.drop_pointer(_pointer(resources, record), record.id)
    await resources.long_term.set_pointers([(_pointer(resources, edited), edited.id)])
    await resources.long_term.upsert([(edited, vector)])
    return edited


async def delete_memories(resources: Resources, ids: Sequence[str]) -> int:
    records = await resources.long_term.get_many(ids)
    deleted = await resources.long_term.delete(ids)
    for record in records:
        if record is not None and record.memory_hash:
            await resources.long_term.drop_pointer(_pointer(resources, record), record.id)
    return deleted


def _result(c: Candidate, score_type: str) -> MemoryRecordResult:
    dist = c.distance if c.distance is not None else 1.0
    return MemoryRecordResult(
        **c.record.model_dump(), dist=dist, score=c.score, score_type=score_type
    )


async def _fill_distances(
    resources: Resources, vector: np.ndarray[Any, Any], candidates: Sequence[Candidate]
) -> None:
    """Exact cosine distances for keyword-only candidates, from their stored vectors."""
    missing = [c for c in candidates if c.distance is None]
    stored = await resources.long_term.get_vectors([c.record.id for c in missing])
    for c, row in zip(missing, stored, strict=True):
        if row is not None:
            c.distance = float(1.0 - np.dot(row, vector))


async def search_memories(resources: Resources, request: SearchRequest) -> MemoryRecordResults:
    """Semantic, keyword or hybrid search with filters, paging and optional re-ranking."""
    filters = {f: getattr(request, f) for f in TAG_FIELDS}
    numbers = {f: getattr(request, f) for f in NUMERIC_FIELDS}
    where = combine(filters, numbers)
    store = resources.long_term
    end = request.offset + request.limit
    if not request.text.strip():
        records, total = await store.listing(where, request.offset, request.limit)
        page = [_result(Candidate(r, score=0.0), "listing") for r in records]
        return MemoryRecordResults(
            memories=page, total=total, next_offset=end if end < total else None
        )

    mode = request.search_mode
    # BM25 ties and re-ranking need the same candidate set for every page: fetch a fixed depth.
    rerank = mode != "semantic" or request.recency_boost or request.importance_weight > 0
    depth = max(end, resources.settings.search_candidates) if rerank else end
    candidates: dict[str, Candidate] = {}
    vector = None
    if mode != "keyword":
        vector = (await resources.embedder.embed([request.text]))[0]
        for hit in await store.knn(vector, where, depth, request.distance_threshold):
            candidates[hit.record.id] = Candidate(hit.record, distance=hit.distance)
    keyword_total = 0
    if mode != "semantic":
        hits, keyword_total = await store.keyword(query_terms(request.text), where, depth)
        for hit in hits:
            known = candidates.setdefault(hit.record.id, Candidate(hit.record))
            known.keyword = hit.keyword_score
    if mode == "keyword":
        total = keyword_total
        for c in candidates.values():
            c.score = c.keyword or 0.0
    else:
        assert vector is not None
        threshold = request.distance_threshold
        total = await (
            store.count(where)
            if threshold is None
            else store.count_within(vector, where, threshold)
        )
        if mode == "hybrid":
            await _fill_distances(resources, vector, list(candidates.values()))
            if threshold is not None:
                candidates = {k: c for k, c in candidates.items() if (c.distance or 0) <= threshold}
            alpha = (
                request.hybrid_alpha
                if request.hybrid_alpha is not None
                else resources.settings.hybrid_alpha
            )
            fuse(list(candidates.values()), alpha)
        else:
            for c in candidates.values():
                c.score = 1.0 - (c.distance or 0.0)
    ranked = list(candidates.values())
    if request.recency_boost or request.importance_weight > 0:
        boost(ranked, request, utcnow())
    ranked.sort(key=lambda c: (-c.score, c.record.id))
    chosen = ranked[request.offset : end]
    if resources.settings.track_access and chosen:
        await store.touch([c.record.id for c in chosen], utcnow())
    return MemoryRecordResults(
        memories=[_result(c, mode) for c in chosen],
        total=total,
        next_offset=end if end < total else None,
    )
