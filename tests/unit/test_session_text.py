"""Session text (services/ranking.py): BM25 of the query against each session's records
taken together, mixed into the session strength that promotes a session's turns."""

from __future__ import annotations

import math

import pytest

from agent_memory_server.services.ranking import (
    Candidate,
    RankingParams,
    mix_session_text,
    rank_hybrid,
    session_text_scores,
    spread_sessions,
)

NOW = 1_685_490_000.0


def test_a_session_with_more_records_holding_a_term_scores_higher() -> None:
    sizes = {"a": 10, "b": 10, "c": 10, "d": 10}
    scores = session_text_scores(sizes, [{"a": 1, "b": 4}])
    assert scores["b"] > scores["a"] > 0
    assert set(scores) == {"a", "b"}  # sessions no term matches are left out


def test_a_term_in_every_session_says_less_than_a_rare_one() -> None:
    sizes = {"a": 5, "b": 5, "c": 5}
    common = {"a": 1, "b": 1, "c": 1}
    rare = {"b": 1}
    scores = session_text_scores(sizes, [common, rare])
    assert scores["b"] > scores["a"] == scores["c"]
    # Okapi BM25 with k1 1.2 and b 0.75 at the mean length: idf x tf (k1 + 1) / (tf + k1).
    idf_rare = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    idf_common = math.log(1 + (3 - 3 + 0.5) / (3 + 0.5))
    assert scores["b"] == pytest.approx(idf_rare + idf_common)


def test_the_same_count_weighs_less_in_a_longer_session() -> None:
    scores = session_text_scores({"short": 4, "long": 40}, [{"short": 2, "long": 2}])
    assert scores["short"] > scores["long"]


def test_counts_of_sessions_outside_the_visible_ones_are_ignored() -> None:
    assert session_text_scores({}, [{"a": 3}]) == {}
    assert session_text_scores({"a": 2}, [{"ghost": 3}]) == {}


def test_mixing_moves_half_of_the_strength_to_the_text_score() -> None:
    strength = {"a": 1.0, "b": 0.9, "c": 0.2}
    text = {"b": 6.0, "c": 2.0}  # a: no term, the lowest (0)
    mixed = mix_session_text(strength, text, 0.5)
    # a: 0.5; b: 0.45 + 0.5; c: 0.1 + 0.5 x 2/6 -> divided by b's 0.95
    assert mixed == pytest.approx({"a": 0.5 / 0.95, "b": 1.0, "c": (0.1 + 1 / 6) / 0.95})
    assert mix_session_text(strength, text, 0.0) == strength


def _pool() -> list[Candidate]:
    """a1 is the best turn (session A); b1 (session B) is a close second."""
    return [
        Candidate("a1", distance=0.30, semantic_rank=1, keyword=5.0, session="A"),
        Candidate("b1", distance=0.32, semantic_rank=2, keyword=4.6, session="B"),
        Candidate("x1", distance=0.70, semantic_rank=3, keyword=1.0, session="X"),
    ]


def test_a_session_whose_records_together_match_the_query_lifts_its_turn() -> None:
    params = RankingParams(fusion="minmax", alpha=0.6, session_weight=0.3, session_text=0.5)
    text = session_text_scores({"A": 10, "B": 10, "X": 10}, [{"A": 1, "B": 6}, {"B": 3}])
    plain, mixed, off = _pool(), _pool(), _pool()
    rank_hybrid(plain, params, "q", NOW)  # no session text given: the best turns alone
    rank_hybrid(mixed, params, "q", NOW, text)
    rank_hybrid(off, RankingParams(fusion="minmax", alpha=0.6, session_weight=0.3), "q", NOW, text)
    first = {name: max(pool, key=lambda c: c.score).id for name, pool in
             (("plain", plain), ("mixed", mixed), ("off", off))}  # fmt: skip
    assert first == {"plain": "a1", "mixed": "b1", "off": "a1"}


def test_a_place_of_the_ranking_goes_to_the_best_turn_of_a_new_session() -> None:
    ranked = [Candidate(f"a{i}", score=1.0 - i / 10, session="A") for i in range(6)]
    ranked += [Candidate("b0", score=0.3, session="B"), Candidate("c0", score=0.2, session="C")]
    spread_sessions(ranked, 3)
    assert [c.id for c in ranked] == ["a0", "a1", "b0", "a2", "a3", "a4", "a5", "c0"]
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    again = [c.id for c in ranked]
    spread_sessions(ranked, 3)  # place 3 already holds a new session: nothing moves
    assert [c.id for c in ranked] == again
    spread_sessions(ranked, 0)
    spread_sessions(ranked, 20)
    assert [c.id for c in ranked] == again


def test_several_places_go_to_new_sessions_in_turn() -> None:
    ranked = [Candidate(f"a{i}", score=1.0 - i / 10, session="A") for i in range(5)]
    ranked += [Candidate("b0", score=0.4, session="B"), Candidate("b1", score=0.35, session="B"),
               Candidate("c0", score=0.3, session="C")]  # fmt: skip
    spread_sessions(ranked, 2, 3)  # places 2-4: B's best, then C's; A fills place 4 back
    assert [c.id for c in ranked][:5] == ["a0", "b0", "c0", "a1", "a2"]
