"""Hybrid ranking's pure parts: relative dates in a query, fusion, session and date evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from agent_memory_server.models.long_term import SearchRequest
from agent_memory_server.services.ranking import (
    Candidate,
    RankingParams,
    boost,
    damp_long_turns,
    fuse_minmax,
    fuse_rrf,
    keyword_confidence,
    promote_dates,
    promote_sessions,
    rank_hybrid,
    semantic_peak,
)
from agent_memory_server.services.relative_dates import DAY, Window, closeness, query_window

# Tuesday 2023-05-30 23:40 UTC, as LongMemEval writes a question_date.
NOW = datetime(2023, 5, 30, 23, 40, tzinfo=UTC).timestamp()


def day(y: int, m: int, d: int) -> float:
    return datetime(y, m, d, 12, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("What did I buy a week ago?", day(2023, 5, 23), day(2023, 5, 2)),
        ("Where did I go two weeks ago?", day(2023, 5, 16), day(2023, 5, 29)),
        ("I mentioned an investment four weeks ago?", day(2023, 5, 2), day(2023, 5, 25)),
        ("what happened 3 days ago", day(2023, 5, 27), day(2023, 5, 20)),
        ("a couple of months ago I adopted a cat", day(2023, 3, 30), day(2023, 5, 28)),
        ("the concert last month", day(2023, 4, 20), day(2023, 5, 29)),
        ("which gym did I join last week", day(2023, 5, 20), day(2022, 5, 20)),
        ("the party last Saturday", day(2023, 5, 27), day(2023, 5, 20)),
        ("what did I cook yesterday", day(2023, 5, 29), day(2023, 5, 27)),
        ("books I read in the past 3 months", day(2023, 4, 1), day(2023, 1, 1)),
        ("Last year I moved", day(2022, 6, 30), day(2020, 1, 1)),
    ],
)
def test_query_window_reads_relative_dates(text: str, inside: float, outside: float) -> None:
    window = query_window(text, NOW)
    assert window is not None, text
    assert window.start <= inside <= window.end
    assert not window.start <= outside <= window.end
    assert window.end <= NOW


@pytest.mark.parametrize(
    "text",
    [
        "When did Caroline go to the LGBTQ support group?",
        "What did I buy on 8 May 2023?",
        "Which book did I finish first?",
        "agoraphobia weekly meetings",  # words that only look like dates
        "",
    ],
)
def test_query_window_is_none_without_a_relative_date(text: str) -> None:
    assert query_window(text, NOW) is None


def test_last_weekday_is_before_today_and_never_today() -> None:
    tuesday = NOW
    window = query_window("last Tuesday", tuesday)
    assert window is not None
    assert window.start == pytest.approx(datetime(2023, 5, 23, tzinfo=UTC).timestamp())
    assert window.end - window.start == DAY


def test_closeness_is_one_inside_and_falls_off_outside() -> None:
    w = Window(day(2023, 5, 10), day(2023, 5, 12))
    assert closeness(day(2023, 5, 11), w) == 1.0
    near, far = closeness(day(2023, 5, 14), w), closeness(day(2023, 4, 1), w)
    assert 1.0 > near > far > 0.0
    assert closeness(day(2023, 5, 8), w) == pytest.approx(closeness(day(2023, 5, 14), w))


def cands(*specs: tuple[str, int | None, int | None, str | None]) -> list[Candidate]:
    """(id, semantic rank, keyword rank, session)."""
    return [
        Candidate(i, semantic_rank=s, keyword_rank=k, session=sess,
                  distance=None if s is None else 0.1 * s, keyword=None if k is None else 10.0 / k)
        for i, s, k, sess in specs
    ]  # fmt: skip


def order(candidates: list[Candidate]) -> list[str]:
    return [c.id for c in sorted(candidates, key=lambda c: (-c.score, c.id))]


def test_rrf_weights_the_legs_by_alpha() -> None:
    pool = cands(("sem", 1, None, None), ("kw", None, 1, None))
    fuse_rrf(pool, 0.7, 1.0)
    assert order(pool) == ["sem", "kw"]
    fuse_rrf(pool, 0.3, 1.0)
    assert order(pool) == ["kw", "sem"]


def test_minmax_follows_each_leg_at_the_ends_and_mixes_between() -> None:
    pool = cands(("sem", 1, 3, None), ("kw", 3, 1, None), ("mid", 2, 2, None))
    fuse_minmax(pool, 1.0)
    assert order(pool) == ["sem", "mid", "kw"]
    fuse_minmax(pool, 0.0)
    assert order(pool) == ["kw", "mid", "sem"]
    fuse_minmax(pool, 0.5)  # sem 0.5, kw 0.5, mid 0.5 * 0.5 + 0.5 * 0.25
    assert order(pool)[-1] == "mid"


def test_session_promotion_lifts_the_turns_of_a_strong_session() -> None:
    pool = [Candidate("a1", score=1.0, session="A"), Candidate("a2", score=0.5, session="A"),
            Candidate("b1", score=0.6, session="B")]  # fmt: skip
    promote_sessions(pool, 0.5, 1)
    assert order(pool) == ["a1", "a2", "b1"]
    # Without the session, b1 outranks a2.
    plain = [Candidate("a2", score=0.5), Candidate("b1", score=0.6)]
    promote_sessions(plain, 0.5, 1)
    assert order(plain) == ["b1", "a2"]


def test_session_promotion_with_zero_weight_changes_nothing() -> None:
    pool = [Candidate("a", score=0.3, session="A"), Candidate("b", score=0.9, session="B")]
    promote_sessions(pool, 0.0, 2)
    assert [c.score for c in pool] == [0.3, 0.9]


def test_dates_favour_records_where_the_query_points() -> None:
    week_ago, months_ago = NOW - 7 * DAY, NOW - 90 * DAY
    pool = [Candidate("old", score=1.0, event_at=months_ago),
            Candidate("recent", score=0.8, event_at=week_ago),
            Candidate("undated", score=0.9)]  # fmt: skip
    promote_dates(pool, "what did I buy a week ago?", NOW, 0.3)
    assert order(pool)[0] == "recent"
    assert order(pool)[-1] == "undated"


def test_dates_leave_scores_alone_when_the_query_names_no_date() -> None:
    pool = [Candidate("a", score=1.0, event_at=NOW - DAY), Candidate("b", score=0.5)]
    promote_dates(pool, "what did I buy?", NOW, 0.5)
    assert [c.score for c in pool] == [1.0, 0.5]


def test_rank_hybrid_with_defaults_keeps_the_rrf_order() -> None:
    pool = cands(("a", 1, 3, "S1"), ("b", 2, 1, "S2"), ("c", 3, None, "S1"), ("d", None, 2, None))
    reference = cands(("a", 1, 3, "S1"), ("b", 2, 1, "S2"), ("c", 3, None, "S1"),
                      ("d", None, 2, None))  # fmt: skip
    fuse_rrf(reference, 0.55, 1.0)
    rank_hybrid(pool, RankingParams(), "anything", NOW)
    assert order(pool) == order(reference)
    assert max(c.score for c in pool) == pytest.approx(1.0)


def test_boost_without_recency_or_importance_scales_to_a_top_of_one() -> None:
    pool = [Candidate("a", score=4.0), Candidate("b", score=1.0)]
    boost(pool, SearchRequest(text="q"), NOW)
    assert [c.score for c in pool] == [1.0, 0.25]


def test_recency_lifts_a_fresh_record_over_a_slightly_better_stale_one() -> None:
    def pool() -> list[Candidate]:
        stale = NOW - 60 * DAY
        return [Candidate("stale", score=1.0, created_at=stale, last_accessed=stale),
                Candidate("fresh", score=0.9, created_at=NOW - DAY, last_accessed=NOW)]  # fmt: skip

    plain = pool()
    boost(plain, SearchRequest(text="q"), NOW)
    assert order(plain) == ["stale", "fresh"]
    recent = pool()
    boost(recent, SearchRequest(text="q", recency_boost=True), NOW)
    assert order(recent) == ["fresh", "stale"]
    # One half-life of last access halves freshness: 0.8 * 1 + 0.2 * (0.6 * 0.5 + 0.4 * 1).
    at_half_life = [Candidate("x", score=1.0, created_at=NOW, last_accessed=NOW - 7 * DAY)]
    boost(at_half_life, SearchRequest(text="q", recency_boost=True), NOW)
    assert at_half_life[0].score == pytest.approx(0.8 + 0.2 * (0.3 + 0.4))


def test_importance_weight_mixes_in_clamped_importance() -> None:
    pool = [Candidate("plain", score=1.0, importance=None),
            Candidate("vital", score=0.8, importance=7.0)]  # fmt: skip
    boost(pool, SearchRequest(text="q", importance_weight=0.5), NOW)
    assert [c.score for c in pool] == pytest.approx([0.5, 0.9])  # 7 counts as 1
    assert order(pool) == ["vital", "plain"]
    boost([], SearchRequest(text="q", importance_weight=0.5), NOW)  # nothing to rank: no error


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("what did I eat today", NOW - 12 * 3600, day(2023, 5, 29)),
        ("the hike last weekend", day(2023, 5, 27), day(2023, 5, 30)),
        ("my plans this month", day(2023, 5, 5), day(2023, 4, 20)),
        ("in the past two weeks", day(2023, 5, 20), day(2023, 5, 10)),
    ],
)
def test_more_relative_dates(text: str, inside: float, outside: float) -> None:
    window = query_window(text, NOW)
    assert window is not None and window.start <= inside <= window.end
    assert not window.start <= outside <= window.end


def _keyword_pool(bm25: list[float]) -> list[Candidate]:
    """The semantic leg prefers s0; the keyword leg ranks k0 first with these BM25 scores."""
    pool = [Candidate(f"k{i}", keyword=score, distance=0.6) for i, score in enumerate(bm25)]
    return [Candidate("s0", keyword=min(bm25), distance=0.2), *pool]


def test_a_flat_keyword_leg_counts_for_less_than_a_peaked_one() -> None:
    flat, peaked = [10.0, 9.9, 9.8, 9.8, 9.7, 9.7, 9.6], [30.0, 9.9, 9.8, 9.8, 9.7, 9.7, 9.6]
    assert keyword_confidence(_keyword_pool(flat), 5, 0.3) < 0.2
    assert keyword_confidence(_keyword_pool(peaked), 5, 0.3) == 1.0
    assert keyword_confidence(_keyword_pool(flat), 5, 0.0) == 1.0  # the rule switched off
    params = RankingParams(fusion="minmax", alpha=0.4, keyword_gap_turns=5, keyword_gap_full=0.3)
    for bm25, first in ((flat, "s0"), (peaked, "k0")):
        pool = _keyword_pool(bm25)
        rank_hybrid(pool, params, "anything", NOW)
        assert order(pool)[0] == first, bm25
    # Without the rule the flat leg's best hit wins too.
    pool = _keyword_pool(flat)
    rank_hybrid(pool, RankingParams(fusion="minmax", alpha=0.4), "anything", NOW)
    assert order(pool)[0] == "k0"


def _peak_pool(best: float) -> list[Candidate]:
    """s0 is the semantic leg's best (similarity `best`), k0 the keyword leg's, eleven more."""
    rest = [Candidate(f"o{i}", distance=0.6 + 0.001 * i, semantic_rank=i + 3, keyword=1.0)
            for i in range(11)]  # fmt: skip
    return [Candidate("s0", distance=1 - best, semantic_rank=1, keyword=1.0),
            Candidate("k0", distance=0.59, semantic_rank=2, keyword=20.0), *rest]  # fmt: skip


def test_a_peaked_semantic_leg_takes_weight_from_the_keyword_leg() -> None:
    # The tenth after the best is o8 (similarity 0.392): (0.6 - 0.392 - 0.1) / 0.15
    assert semantic_peak(_peak_pool(0.6), 10, 0.1, 0.25) == pytest.approx(0.72)
    assert semantic_peak(_peak_pool(0.42), 10, 0.1, 0.25) == 0.0  # flat: no change
    assert semantic_peak(_peak_pool(0.8), 10, 0.1, 0.25) == 1.0
    assert semantic_peak(_peak_pool(0.8), 10, 0.0, 0.0) == 0.0  # the rule switched off
    params = RankingParams(fusion="minmax", alpha=0.5, semantic_peak_low=0.1,
                           semantic_peak_high=0.25)  # fmt: skip
    peaked, flat = _peak_pool(0.8), _peak_pool(0.42)
    rank_hybrid(peaked, params, "anything", NOW)
    rank_hybrid(flat, params, "anything", NOW)
    assert order(peaked)[0] == "s0"
    assert order(flat)[0] == "k0"
    plain = _peak_pool(0.8)
    rank_hybrid(plain, RankingParams(fusion="minmax", alpha=0.5), "anything", NOW)
    assert order(plain)[0] == "k0"


def test_only_turns_far_longer_than_the_median_lose_bm25() -> None:
    cands = [Candidate(f"c{i}", keyword=2.0, length=100) for i in range(5)]
    cands += [Candidate("long", keyword=8.0, length=1600), Candidate("long-sem", length=1600)]
    damp_long_turns(cands, factor=4.0, power=2.0)
    assert [c.keyword for c in cands[:5]] == [2.0] * 5  # ordinary turns untouched
    assert cands[5].keyword == 8.0 * (400 / 1600) ** 2  # 4 x median 100 = 400
    assert cands[6].keyword is None  # not in the keyword leg: nothing to damp


def test_damping_is_off_at_zero_or_without_lengths() -> None:
    cands = [Candidate("a", keyword=2.0, length=10), Candidate("b", keyword=5.0, length=9000)]
    damp_long_turns(cands, factor=0.0, power=2.0)
    assert [c.keyword for c in cands] == [2.0, 5.0]
    bare = [Candidate("a", keyword=2.0), Candidate("b", keyword=5.0)]
    damp_long_turns(bare, factor=4.0, power=2.0)
    assert [c.keyword for c in bare] == [2.0, 5.0]


def test_rank_hybrid_puts_the_short_fact_above_the_long_repetitive_turn() -> None:
    def pool() -> list[Candidate]:
        return [
            Candidate("fact", distance=0.30, keyword=3.0, length=80),
            Candidate("essay", distance=0.35, keyword=12.0, length=3000),
            *[Candidate(f"o{i}", distance=0.8, keyword=1.0, length=90) for i in range(6)],
        ]

    params = RankingParams(fusion="minmax", alpha=0.6)
    off, on = pool(), pool()
    rank_hybrid(off, params, "q", NOW)
    rank_hybrid(on, replace(params, long_turn_factor=4.0), "q", NOW)
    assert max(off, key=lambda c: c.score).id == "essay"
    assert max(on, key=lambda c: c.score).id == "fact"


def test_a_damped_long_turn_still_speaks_for_its_session() -> None:
    """Session strength comes from the undamped fusion: the short turn of the session whose
    long answer matched the query keeps its session's lift (damping the session too would
    put a turn of another session first)."""

    def pool() -> list[Candidate]:
        return [
            Candidate("essay", distance=0.40, keyword=12.0, length=3000, session="s1"),
            Candidate("reply", distance=0.45, keyword=1.0, length=80, session="s1"),
            Candidate("other", distance=0.44, keyword=1.2, length=90, session="s2"),
            *[Candidate(f"o{i}", distance=0.8, keyword=1.0, length=90, session=f"x{i}")
              for i in range(5)],
        ]  # fmt: skip

    params = RankingParams(fusion="minmax", alpha=0.6, session_weight=0.3,
                           long_turn_factor=4.0)  # fmt: skip
    ranked = pool()
    rank_hybrid(ranked, params, "q", NOW)
    assert max(ranked, key=lambda c: c.score).id == "reply"
    everything_damped = pool()
    damp_long_turns(everything_damped, 4.0, 2.0)
    rank_hybrid(everything_damped, replace(params, long_turn_factor=0.0), "q", NOW)
    assert max(everything_damped, key=lambda c: c.score).id == "other"
