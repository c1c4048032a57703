"""Long-term search: semantic, keyword or hybrid candidates, ranking, paging, hydration.

The legs return ids and ranking signals only, and full records are read for the chosen page
alone; when no re-ranking is asked for, the candidates are the page, and the legs return the
whole records at once. The keyword leg runs while the query is being embedded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from agent_memory_server.models.common import utcnow
from agent_memory_server.models.long_term import (
    MemoryRecordResult,
    MemoryRecordResults,
    SearchRequest,
)
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.services.ranking import (
    Candidate,
    RankingParams,
    boost,
    rank_hybrid,
    session_text_scores,
    spread_sessions,
)
from agent_memory_server.services.turn_text import without_question_form
from agent_memory_server.storage.filters import NUMERIC_FIELDS, TAG_FIELDS, combine, query_terms
from agent_memory_server.storage.replies import Hit


def _candidate(hit: Hit) -> Candidate:
    return Candidate(
        hit.id, hit.created_at, hit.last_accessed, hit.importance, fields=hit.fields,
        session=hit.session, event_at=hit.event_at, text=hit.text, role=hit.role,
        length=None if hit.text is None else len(hit.text.encode()),
    )  # fmt: skip


def keyword_terms(resources: Resources, request: SearchRequest) -> list[str]:
    """The terms of hybrid search's keyword leg and session text: the query's content words,
    less how it asks (HYBRID_QUESTION_FORM; all of them when nothing else is left). Keyword
    mode searches every content word."""
    terms = query_terms(request.text)
    if request.search_mode == "hybrid" and resources.settings.hybrid_question_form:
        return query_terms(without_question_form(request.text)) or terms
    return terms


def _turn_fields(resources: Resources, request: SearchRequest) -> list[str]:
    """What the legs return beside the ranking fields for hybrid's turn rules: the text
    (coverage, long turns) and metadata (its role), when a rule is on."""
    if request.search_mode != "hybrid":
        return []
    params = ranking_params(resources, request)
    minmax = params.fusion == "minmax"  # coverage and long turns act in min-max fusion
    text = minmax and (params.coverage_weight > 0 or params.long_turn_factor > 0)
    return [*(["text"] if text else []), *(["metadata"] if params.assistant_factor < 1 else [])]


async def _fill_distances(
    resources: Resources, vector: np.ndarray[Any, Any], candidates: Sequence[Candidate]
) -> None:
    """Exact cosine distances for keyword-only candidates, from their stored vectors."""
    missing = [c for c in candidates if c.distance is None]
    stored = await resources.long_term.get_vectors([c.id for c in missing])
    for c, row in zip(missing, stored, strict=True):
        if row is not None:
            c.distance = float(1.0 - np.dot(row, vector))


async def _hydrate(
    resources: Resources, chosen: Sequence[Candidate], score_type: str
) -> list[MemoryRecordResult]:
    """The page's records, read in the round trip that records their access (TRACK_ACCESS)."""
    touched_at = utcnow() if resources.settings.track_access else None
    hybrid = score_type == "hybrid"  # which leg found each record
    store = resources.long_term
    returned = [c.fields for c in chosen if c.fields is not None]
    records: Sequence[MemoryRecord | None] = (
        await store.complete(returned, touched_at)
        if len(returned) == len(chosen)
        else await store.get_many([c.id for c in chosen], touched_at)
    )
    # The records were validated when read; adding the score fields needs no second pass.
    return [
        MemoryRecordResult.model_construct(
            **dict(record),
            dist=c.distance if c.distance is not None else 1.0,
            score=c.score,
            score_type=score_type,
            semantic_rank=c.semantic_rank if hybrid else None,
            keyword_rank=c.keyword_rank if hybrid else None,
        )
        for c, record in zip(chosen, records, strict=True)
        if record is not None  # deleted between the search and the read
    ]


async def _listing(resources: Resources, request: SearchRequest, where: Any) -> MemoryRecordResults:
    records, total = await resources.long_term.listing(where, request.offset, request.limit)
    end = request.offset + request.limit
    page = [
        MemoryRecordResult(**r.model_dump(), dist=0.0, score=0.0, score_type="listing")
        for r in records
    ]
    return MemoryRecordResults(memories=page, total=total, next_offset=end if end < total else None)


async def _collect(
    resources: Resources, request: SearchRequest, where: Any, depth: int, full: bool
) -> tuple[dict[str, Candidate], int, np.ndarray[Any, Any] | None]:
    """Run the legs the mode needs: candidates by id, the true total, the query vector.

    `full`: the legs return whole records (the candidates are the page)."""
    store = resources.long_term
    mode = request.search_mode
    threshold = request.distance_threshold
    extra = _turn_fields(resources, request)
    keyword = (
        asyncio.ensure_future(
            store.keyword(
                keyword_terms(resources, request),
                where,
                depth,
                full,
                extra,
                vectors=mode != "keyword",
            )
        )
        if mode != "semantic"
        else None
    )
    candidates: dict[str, Candidate] = {}
    total = 0
    vector = None
    if mode != "keyword":
        vector = await resources.query_vectors.vector(request.text, tenancy.current())
        if threshold is None:
            hits, total = await store.knn_with_total(vector, where, depth, full, extra)
        else:
            hits, total = await asyncio.gather(
                store.knn(vector, where, depth, threshold, extra),
                store.count_within(vector, where, threshold),
            )
        for rank, hit in enumerate(hits, start=1):
            candidates[hit.id] = c = _candidate(hit)
            c.distance, c.semantic_rank = hit.distance, rank
    if keyword is not None:
        hits, keyword_total = await keyword
        total = keyword_total if mode == "keyword" else total
        for rank, hit in enumerate(hits, start=1):
            c = candidates.setdefault(hit.id, _candidate(hit))
            c.keyword, c.keyword_rank = hit.keyword_score, rank
            if c.distance is None and hit.vector is not None and vector is not None:
                # as _fill_distances, from the vector the keyword leg returned: no round trip
                row = np.frombuffer(hit.vector, dtype=np.float32)
                c.distance = float(1.0 - np.dot(row, vector))
    return candidates, total, vector


def ranking_params(resources: Resources, request: SearchRequest) -> RankingParams:
    """Hybrid ranking from the settings (HYBRID_*), with the request's own alpha if given."""
    settings = resources.settings
    alpha = settings.hybrid_alpha if request.hybrid_alpha is None else request.hybrid_alpha
    return RankingParams(
        settings.hybrid_fusion, alpha, settings.hybrid_rrf_k, settings.hybrid_session_weight,
        settings.hybrid_session_turns, settings.hybrid_date_weight,
        keyword_gap_turns=settings.hybrid_keyword_gap_turns,
        keyword_gap_full=settings.hybrid_keyword_gap,
        long_turn_factor=settings.hybrid_long_turn,
        long_turn_power=settings.hybrid_long_turn_power,
        coverage_weight=settings.hybrid_coverage_weight,
        assistant_factor=settings.hybrid_assistant_factor,
        session_text=settings.hybrid_session_text,
    )  # fmt: skip


async def _session_text(
    resources: Resources, request: SearchRequest, params: RankingParams, where: Any,
    visible: int | None,
) -> dict[str, float] | None:  # fmt: skip
    """BM25 of the query against each visible session's records taken together (ranking.py:
    session_text_scores), or None when the rule is off or more records are visible than
    HYBRID_SESSION_TEXT_MAX_RECORDS. `visible`: the records the filter leaves, if known."""
    cap = resources.settings.hybrid_session_text_max_records
    terms = keyword_terms(resources, request)
    if params.session_text <= 0 or params.session_weight <= 0 or not terms:
        return None
    store = resources.long_term
    if visible is None:
        visible = await store.count(where)
    if visible > cap or visible == 0:
        return None
    counts = await store.session_terms(terms, where, cap)
    return session_text_scores(counts.sizes, counts.matches)


async def _score(
    resources: Resources, request: SearchRequest, ranked: list[Candidate],
    vector: np.ndarray[Any, Any] | None, where: Any = None, visible: int | None = None,
) -> list[Candidate]:  # fmt: skip
    """Set each candidate's score for the mode (fusion, recency, importance).
    `where`/`visible`: the search's filter and the records it leaves (session text)."""
    mode = request.search_mode
    threshold = request.distance_threshold
    if mode == "keyword":
        for c in ranked:
            c.score = c.keyword or 0.0
    elif mode == "semantic":
        for c in ranked:
            c.score = 1.0 - (c.distance or 0.0)
    else:
        assert vector is not None
        params = ranking_params(resources, request)
        reads = []
        if threshold is not None or params.fusion == "minmax":
            reads.append(_fill_distances(resources, vector, ranked))
        text_read = _session_text(resources, request, params, where, visible)
        session_text, *_ = await asyncio.gather(text_read, *reads)
        if threshold is not None:
            ranked = [c for c in ranked if c.distance is not None and c.distance <= threshold]
        now = request.now.timestamp() if request.now is not None else time.time()
        rank_hybrid(ranked, params, request.text, now, session_text)
    if request.recency_boost:
        accessed = await resources.long_term.last_accesses([c.id for c in ranked])
        for c, when in zip(ranked, accessed, strict=True):
            c.last_accessed = max(c.last_accessed, when or 0.0)
    if request.recency_boost or request.importance_weight > 0:
        boost(ranked, request, time.time())
    return ranked


def _page_result(record: MemoryRecord, score: float, mode: str) -> MemoryRecordResult:
    """A one-trip page's record: its BM25 score (keyword) or its distance (semantic)."""
    distance = 1.0 if mode == "keyword" else score
    return MemoryRecordResult.model_construct(
        **dict(record), dist=distance, score=score if mode == "keyword" else 1.0 - distance,
        score_type=mode, semantic_rank=None, keyword_rank=None,
    )  # fmt: skip


async def _one_trip_page(
    resources: Resources, request: SearchRequest, where: Any
) -> MemoryRecordResults | None:
    """A keyword or semantic page as the generic path ranks it (BM25 or distance, ties by id),
    read in one round trip with the record of its access (storage/keyword_page.py); None
    where the store cannot (the cluster layout)."""
    store = resources.long_term
    if not store.one_trip_pages:
        return None
    touched_at = utcnow() if resources.settings.track_access else None
    offset, limit = request.offset, request.limit
    if request.search_mode == "keyword":
        terms = query_terms(request.text)
        found = await store.keyword_page(terms, where, offset, limit, touched_at)
    else:
        vector = await resources.query_vectors.vector(request.text, tenancy.current())
        found = await store.semantic_page(vector, where, offset, limit, touched_at)
    if found is None:
        return None
    hits, total = found
    page = [_page_result(hit.record, hit.score, request.search_mode) for hit in hits]
    end = offset + limit
    return MemoryRecordResults(memories=page, total=total, next_offset=end if end < total else None)


async def search_memories(resources: Resources, request: SearchRequest) -> MemoryRecordResults:
    """Semantic, keyword or hybrid search with filters, paging and optional re-ranking."""
    filters = {f: getattr(request, f) for f in TAG_FIELDS}
    where = tenancy.confine(combine(filters, {f: getattr(request, f) for f in NUMERIC_FIELDS}))
    if not request.text.strip():
        return await _listing(resources, request, where)
    end = request.offset + request.limit
    # Re-ranking needs the same candidate set for every page: fetch a fixed depth.
    rerank = (
        request.search_mode == "hybrid" or request.recency_boost or request.importance_weight > 0
    )
    if not rerank and (
        request.search_mode == "keyword"
        or (request.search_mode == "semantic" and request.distance_threshold is None)
    ):
        one_trip = await _one_trip_page(resources, request, where)
        if one_trip is not None:
            return one_trip
    depth = max(end, resources.settings.search_candidates) if rerank else end
    candidates, total, vector = await _collect(resources, request, where, depth, not rerank)
    visible = total if request.distance_threshold is None else None
    ranked = await _score(resources, request, list(candidates.values()), vector, where, visible)
    ranked.sort(key=lambda c: (-c.score, c.id))
    if request.search_mode == "hybrid":
        settings = resources.settings
        spread_sessions(ranked, settings.hybrid_new_session_place, settings.hybrid_new_sessions)
    chosen = ranked[request.offset : end]
    if vector is not None:  # keyword-only hits of a hybrid page still report their distance
        await _fill_distances(resources, vector, chosen)
    page = await _hydrate(resources, chosen, request.search_mode)
    return MemoryRecordResults(memories=page, total=total, next_offset=end if end < total else None)
