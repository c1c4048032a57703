"""Scoring of search candidates: hybrid fusion, session and date evidence, recency boost and
importance. Pure functions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agent_memory_server.models.long_term import SearchRequest
from agent_memory_server.services.relative_dates import closeness, query_window
from agent_memory_server.services.turn_text import (
    QUESTION_WORDS,
    Coverage,
    addresses_assistant,
    stem,
)
from agent_memory_server.storage.filters import query_terms

SECONDS_PER_DAY = 86_400.0
QUESTION_STEMS = frozenset(stem(w) for w in QUESTION_WORDS)


@dataclass
class Candidate:
    """A record id with whatever signals the search legs produced for it."""

    id: str
    created_at: float = 0.0
    last_accessed: float = 0.0
    importance: float | None = None
    distance: float | None = None
    keyword: float | None = None
    semantic_rank: int | None = None
    keyword_rank: int | None = None
    score: float = 0.0
    fields: dict[str, Any] | None = None  # the whole stored record, when the leg returned it
    session: str | None = None  # session_id
    event_at: float | None = None  # event_date
    length: int | None = None  # the text's length (bytes), when a rule needs it
    text: str | None = None  # the record's text, when a rule needs it (coverage)
    role: str | None = None  # metadata.role ("user", "assistant"), when a rule needs it
    coverage: float | None = None  # share of the query's content words the text holds


def _min_max(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    return low, (high - low) or 1.0


def keyword_confidence(candidates: Sequence[Candidate], turns: int, full_gap: float) -> float:
    """How much the keyword leg singles out its best hits, 0-1: the relative gap between its
    best BM25 score and the score `turns` places below it, divided by `full_gap` (capped at
    1). A flat leg (many records share the query's words about equally) says little about
    which is meant.
    `full_gap` <= 0: always 1."""
    if full_gap <= 0:
        return 1.0
    kws = sorted((c.keyword for c in candidates if c.keyword is not None), reverse=True)
    if len(kws) <= turns or kws[0] <= 0:
        return 1.0
    return min(1.0, (kws[0] - kws[turns]) / kws[0] / full_gap)


def semantic_peak(candidates: Sequence[Candidate], turns: int, low: float, high: float) -> float:
    """How clearly the semantic leg's best hit stands out, 0-1: the cosine similarity of its
    best candidate minus that of the one `turns` places below it, placed between `low` (0)
    and `high` (1). A peaked semantic leg has found what the query means; the keyword leg,
    which counts shared words, then mostly adds turns that only talk about the same things.
    `high` <= `low`: always 0."""
    if high <= low:
        return 0.0
    sims = sorted(
        (
            1.0 - c.distance
            for c in candidates
            if c.semantic_rank is not None and c.distance is not None
        ),
        reverse=True,
    )
    if len(sims) <= turns:
        return 0.0
    return min(1.0, max(0.0, (sims[0] - sims[turns] - low) / (high - low)))


def damp_long_turns(candidates: Sequence[Candidate], factor: float, power: float) -> None:
    """BM25 of a record longer than `factor` x the candidates' median length is multiplied by
    (factor x median / length) ** power. A long turn (an assistant's essay) repeats the query's
    words and wins the keyword leg over the short turn that states the fact; BM25STD's own
    length normalisation (b = 0.75) does not undo that. Records of ordinary length are not
    touched. `factor` <= 0, or no lengths: nothing changes."""
    lengths = sorted(c.length for c in candidates if c.length is not None)
    if factor <= 0 or not lengths:
        return
    cap = factor * max(1, lengths[len(lengths) // 2])
    for c in candidates:
        if c.keyword is not None and c.length is not None and c.length > cap:
            c.keyword *= (cap / c.length) ** power


def fuse_minmax(
    candidates: Sequence[Candidate], alpha: float, kw_trust: float = 1.0,
    coverage_weight: float = 0.0,
) -> None:  # fmt: skip
    """Weighted fusion of min-max normalised similarity and BM25: alpha * sem + (1-alpha) * kw,
    the keyword share scaled by `kw_trust` (keyword_confidence).

    Similarity is 1 - cosine distance; a candidate missing from the keyword leg scores 0 there.
    `coverage_weight`: kw = (1 - w) * normalised BM25 + w * the candidate's coverage, for
    candidates whose coverage is known (set_coverage).
    """
    sims = [1.0 - c.distance for c in candidates if c.distance is not None]
    kws = [c.keyword for c in candidates if c.keyword is not None]
    sim_low, sim_span = _min_max(sims) if sims else (0.0, 1.0)
    kw_low, kw_span = _min_max(kws) if kws else (0.0, 1.0)
    kw_share = (1.0 - alpha) * kw_trust
    for c in candidates:
        sem = (1.0 - c.distance - sim_low) / sim_span if c.distance is not None else 0.0
        kw = (c.keyword - kw_low) / kw_span if c.keyword is not None else 0.0
        if coverage_weight > 0 and c.coverage is not None:
            kw = (1.0 - coverage_weight) * kw + coverage_weight * c.coverage
        c.score = alpha * sem + kw_share * kw


def fuse_rrf(candidates: Sequence[Candidate], alpha: float, k: float) -> None:
    """Weighted reciprocal-rank fusion: alpha/(k + semantic rank) + (1-alpha)/(k + keyword rank).

    Ranks are 1-based positions in each leg; a candidate absent from a leg gets nothing from it.
    Measured on LoCoMo (benchmarks/fusion_research.py), a small k (1) with alpha near 0.55 beats
    both legs by about ten points of Hit@10 and is flat around its optimum.
    """
    for c in candidates:
        sem = alpha / (k + c.semantic_rank) if c.semantic_rank is not None else 0.0
        kw = (1.0 - alpha) / (k + c.keyword_rank) if c.keyword_rank is not None else 0.0
        c.score = sem + kw


def set_coverage(
    candidates: Sequence[Candidate], query: str, skip_question_words: bool = False
) -> bool:
    """Each candidate's coverage of the query's content words (services/turn_text.py), from
    its text (left None where the text was not read), without QUESTION_WORDS ("how many
    months ago") when `skip_question_words`. False when the query has no content words
    (nothing to cover)."""
    cover = Coverage(query_terms(query), QUESTION_STEMS if skip_question_words else frozenset())
    if not cover.wanted:
        return False
    for c in candidates:
        if c.text is not None:
            c.coverage = cover(c.text)
    return True


def damp_assistant(candidates: Sequence[Candidate], query: str, factor: float) -> bool:
    """An assistant's turn (metadata.role "assistant") keeps `factor` of its score, unless
    the query addresses the assistant ("you", "your"). Assistants' long answers share the
    question's words and meaning with the user's turn that states the fact, and win both
    legs; a user asking about their own life wants what they said. True when a score
    changed."""
    if factor >= 1 or addresses_assistant(query):
        return False
    damped = False
    for c in candidates:
        if c.role == "assistant":
            c.score *= factor
            damped = True
    return damped


def _decay(age_seconds: float, half_life_days: float) -> float:
    return math.exp(-math.log(2) * max(0.0, age_seconds) / (half_life_days * SECONDS_PER_DAY))


def boost(candidates: Sequence[Candidate], request: SearchRequest, now: float) -> None:
    """Mix relevance with recency (freshness of last access, novelty of creation) and importance."""
    if not candidates:
        return
    top = max(c.score for c in candidates)
    for c in candidates:
        relevance = c.score / top if top > 0 else 0.0
        if request.recency_boost:
            fresh = _decay(now - c.last_accessed, request.recency_half_life_last_access_days)
            novel = _decay(now - c.created_at, request.recency_half_life_created_days)
            recency = (
                request.recency_freshness_weight * fresh + request.recency_novelty_weight * novel
            )
            relevance = (
                request.recency_semantic_weight * relevance
                + request.recency_recency_weight * recency
            )
        if request.importance_weight:
            importance = min(1.0, max(0.0, c.importance or 0.0))
            relevance = (
                1 - request.importance_weight
            ) * relevance + request.importance_weight * importance
        c.score = relevance


@dataclass(frozen=True)
class RankingParams:
    """How hybrid search ranks its candidates (settings; see docs/benchmarks/retrieval.md).

    fusion/alpha/rrf_k: how the two legs are fused (alpha: the semantic leg's weight).
    session_weight: share of a turn's score taken from its session's strength, the mean fused
    score of the session's best `session_turns` candidates (0: sessions play no part).
    date_weight: share taken from how near the record's event_date is to a relative date the
    query names ("two weeks ago"), read against the asker's now (0: dates play no part).
    keyword_gap_full/keyword_gap_turns: min-max fusion gives the keyword leg its full weight
    only when the BM25 score `keyword_gap_turns` places below its best is at least
    `keyword_gap_full` (relative to the best) lower, less when flatter (keyword_confidence;
    0: always full).
    long_turn_factor/long_turn_power: damp_long_turns before min-max fusion (0: off).
    coverage_weight: the keyword leg's normalised score becomes (1 - w) x BM25 + w x the
    record's coverage of the query's content words (0: BM25 alone; needs each text), the
    question's scaffolding ("how many months ago") left out unless not
    coverage_skips_question (kept for ablations, not a setting).
    assistant_factor: an assistant's turn keeps this share of its fused score unless the
    query addresses the assistant (1: off; needs each role); sessions are judged undamped.
    semantic_peak_*: and less as the semantic leg's best hit stands out further above the one
    `semantic_peak_turns` places below it (semantic_peak: none below `low`, no keyword leg
    at `high`). Measured and left off (docs/benchmarks/retrieval.md): not a server setting,
    kept for benchmarks/recall_research.py's ablations.
    session_text: share of a session's strength from the BM25 of the query against the
    session's records taken together (session_text_scores, min-max normalised over the
    candidates' sessions; 0: the best turns alone). Used when rank_hybrid is given the scores.
    """

    fusion: Literal["rrf", "minmax"] = "rrf"
    alpha: float = 0.55
    rrf_k: float = 1.0
    session_weight: float = 0.0
    session_turns: int = 1
    date_weight: float = 0.0
    keyword_gap_turns: int = 10
    keyword_gap_full: float = 0.0
    long_turn_factor: float = 0.0
    long_turn_power: float = 2.0
    coverage_weight: float = 0.0
    coverage_skips_question: bool = True
    assistant_factor: float = 1.0
    semantic_peak_turns: int = 10
    semantic_peak_low: float = 0.0
    semantic_peak_high: float = 0.0
    session_text: float = 0.0


def _normalise(candidates: Sequence[Candidate]) -> None:
    top = max((c.score for c in candidates), default=0.0)
    if top > 0:
        for c in candidates:
            c.score /= top


def session_strengths(candidates: Sequence[Candidate], turns: int) -> dict[str, float]:
    """Per session, the mean of its best `turns` scores among the candidates, divided by the
    strongest session's; a candidate without a session is a session of its own."""
    by_session: dict[str, list[float]] = {}
    for c in candidates:
        by_session.setdefault(c.session or f"\x00{c.id}", []).append(c.score)
    strength = {s: sum(sorted(v, reverse=True)[:turns]) / turns for s, v in by_session.items()}
    top = max(strength.values(), default=0.0) or 1.0
    return {s: v / top for s, v in strength.items()}


def promote_sessions(
    candidates: Sequence[Candidate], weight: float, turns: int,
    strength: dict[str, float] | None = None,
) -> None:  # fmt: skip
    """score = (1 - weight) * score + weight * strength of the candidate's session
    (session_strengths of the current scores, unless given)."""
    if weight <= 0 or not candidates:
        return
    if strength is None:
        strength = session_strengths(candidates, turns)
    for c in candidates:
        c.score = (1 - weight) * c.score + weight * strength.get(c.session or f"\x00{c.id}", 0.0)


BM25_K1 = 1.2
BM25_B = 0.75


def session_text_scores(
    sizes: Mapping[str, int], matches: Sequence[Mapping[str, int]]
) -> dict[str, float]:
    """BM25 of a query against each session taken as one document (Okapi, k1 1.2, b 0.75).

    `sizes`: each visible session's number of records (its length); `matches[i]`: per
    session, how many of its records contain the query's i-th term (its term frequency).
    A session no term matches scores 0 (and is left out)."""
    n = len(sizes)
    if n == 0:
        return {}
    mean = sum(sizes.values()) / n or 1.0
    scores: dict[str, float] = {}
    for counts in matches:
        df = sum(1 for s in counts if s in sizes)
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        for session, tf in counts.items():
            if session not in sizes or tf <= 0:
                continue
            norm = BM25_K1 * (1.0 - BM25_B + BM25_B * sizes[session] / mean)
            scores[session] = scores.get(session, 0.0) + idf * tf * (BM25_K1 + 1) / (tf + norm)
    return scores


def mix_session_text(
    strength: dict[str, float], text: Mapping[str, float], share: float
) -> dict[str, float]:
    """(1 - share) x strength + share x the session's text score, min-max normalised over
    the sessions in `strength`, then divided by the strongest again."""
    if share <= 0 or not strength:
        return strength
    values = [text.get(s, 0.0) for s in strength]
    low, span = _min_max(values)
    mixed = {
        s: (1 - share) * v + share * (text.get(s, 0.0) - low) / span for s, v in strength.items()
    }
    top = max(mixed.values()) or 1.0
    return {s: v / top for s, v in mixed.items()}


def spread_sessions(ranked: list[Candidate], place: int, count: int = 1) -> None:
    """Give each of the 1-based places `place` .. `place + count - 1` of a ranked list to the
    best candidate of a session that has no candidate above that place (moved up from below;
    the ones it passes move down one), with the score of the candidate it displaces. A page
    then shows more sessions when its top is all about one. `place` <= 1: nothing changes;
    a place already held by a new session, or no new session below it: that place neither."""
    if place <= 1:
        return
    for at in range(place - 1, min(place - 1 + count, len(ranked))):
        above = {c.session or f"\x00{c.id}" for c in ranked[:at]}
        for i in range(at, len(ranked)):
            if (ranked[i].session or f"\x00{ranked[i].id}") not in above:
                if i > at:
                    moved = ranked.pop(i)
                    moved.score = ranked[at].score
                    ranked.insert(at, moved)
                break


def promote_dates(candidates: Sequence[Candidate], query: str, now: float, weight: float) -> None:
    """score = (1 - weight) * score + weight * closeness of event_date to the query's date.

    Only when the query names a relative date ("a week ago", "last month") and some candidate
    has an event_date: otherwise the scores are left as they are."""
    if weight <= 0:
        return
    window = query_window(query, now)
    if window is None or all(c.event_at is None for c in candidates):
        return
    for c in candidates:
        near = closeness(c.event_at, window) if c.event_at is not None else 0.0
        c.score = (1 - weight) * c.score + weight * near


def rank_hybrid(
    candidates: Sequence[Candidate], params: RankingParams, query: str, now: float,
    session_text: Mapping[str, float] | None = None,
) -> None:  # fmt: skip
    """Set each candidate's hybrid score: fused legs (scaled to a top of 1), then session and
    date evidence. Min-max fusion needs every candidate's distance (and, with
    long_turn_factor, its length; with coverage_weight, its text). Long turns and assistants'
    turns are damped for the turn's own score only: sessions are judged on the undamped
    fusion (a long answer in a session still says the session is about the question).
    `session_text` (session_text_scores) is mixed into the sessions' strength by
    params.session_text."""
    strength = None
    if params.fusion == "rrf":
        fuse_rrf(candidates, params.alpha, params.rrf_k)
    else:
        trust = keyword_confidence(candidates, params.keyword_gap_turns, params.keyword_gap_full)
        trust *= 1.0 - semantic_peak(
            candidates, params.semantic_peak_turns, params.semantic_peak_low,
            params.semantic_peak_high,
        )  # fmt: skip
        cover = params.coverage_weight
        if cover > 0 and not set_coverage(candidates, query, params.coverage_skips_question):
            cover = 0.0
        damp = params.long_turn_factor > 0 and any(c.length is not None for c in candidates)
        if damp and params.session_weight > 0:
            fuse_minmax(candidates, params.alpha, trust, cover)
            _normalise(candidates)
            strength = session_strengths(candidates, params.session_turns)
        if damp:
            damp_long_turns(candidates, params.long_turn_factor, params.long_turn_power)
        fuse_minmax(candidates, params.alpha, trust, cover)
    _normalise(candidates)
    if params.assistant_factor < 1 and params.session_weight > 0 and strength is None:
        strength = session_strengths(candidates, params.session_turns)
    damp_assistant(candidates, query, params.assistant_factor)
    if session_text is not None and params.session_text > 0 and params.session_weight > 0:
        if strength is None:
            strength = session_strengths(candidates, params.session_turns)
        strength = mix_session_text(strength, session_text, params.session_text)
    promote_sessions(candidates, params.session_weight, params.session_turns, strength)
    promote_dates(candidates, query, now, params.date_weight)
