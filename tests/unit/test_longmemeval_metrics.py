"""Pure parts of the LongMemEval retrieval benchmark: dates and metrics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from benchmarks.longmemeval_retrieval import aggregate, ndcg_at, parse_lme_date, question_metrics


def test_parse_lme_date() -> None:
    assert parse_lme_date("2023/05/30 (Tue) 23:40") == datetime(2023, 5, 30, 23, 40, tzinfo=UTC)
    with pytest.raises(ValueError, match="LongMemEval date"):
        parse_lme_date("May 30th")


def test_ndcg_counts_distinct_sessions() -> None:
    assert ndcg_at([3, 3, 3], {3}) == 1.0  # one relevant session, ranked first
    assert ndcg_at([1, 3], {3}) == pytest.approx(1 / 1.5849625)  # second distinct session
    assert ndcg_at([1, 1, 3], {3}) == pytest.approx(1 / 1.5849625)  # repeats do not push it down
    assert ndcg_at([1, 2], {3}) == 0.0


def test_question_metrics_session_and_turn_level() -> None:
    ranked = [(1, False), (2, False), (3, False), (4, False), (5, False), (7, True)]
    m = question_metrics(ranked, {7})
    assert m["session_r@5"] == 0.0 and m["session_r@10"] == 1.0
    assert m["turn_r@5"] == 0.0 and m["turn_r@10"] == 1.0
    # The right session without its evidence turn: a session hit, not a turn hit.
    m = question_metrics([(7, False)], {7})
    assert (m["session_r@5"], m["turn_r@5"]) == (1.0, 0.0)


def test_aggregate_per_type_and_all() -> None:
    rows = [("a", {"x": 1.0}), ("a", {"x": 0.0}), ("b", {"x": 1.0})]
    out = aggregate(rows)
    assert out["a"] == {"n": 2.0, "x": 50.0}
    assert out["all"]["n"] == 3.0 and out["all"]["x"] == pytest.approx(200 / 3)
    assert list(out)[-1] == "all"
