"""Pure parts of the LoCoMo retrieval benchmark: evidence ids, session dates, metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.locomo_retrieval import (
    aggregate,
    load_locomo,
    normalize_evidence,
    parse_conversation,
    parse_session_datetime,
    percentile,
    question_metrics,
    session_of,
    turn_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["D1:3"], ["D1:3"]),
        (["D:11:26"], ["D11:26"]),
        (["D30:05"], ["D30:5"]),
        (["D8:6; D9:17"], ["D8:6", "D9:17"]),
        (["D8:6; D9:17", "D8:6"], ["D8:6", "D9:17"]),  # repeats dropped, order kept
        ("D2:1", ["D2:1"]),
        ([], []),
        (None, []),
        ([""], []),
        (["nonsense", None, 3], []),
    ],
)
def test_normalize_evidence_quirks(raw: object, expected: list[str]) -> None:
    assert normalize_evidence(raw) == expected


def test_normalize_evidence_keeps_only_known_turns() -> None:
    valid = {"D1:1", "D1:2", "D30:5"}
    assert normalize_evidence(["D30:05", "D99:1", "D1:2"], valid) == ["D30:5", "D1:2"]
    assert normalize_evidence(["D99:1"], valid) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:56 pm on 8 May, 2023", datetime(2023, 5, 8, 13, 56, tzinfo=UTC)),
        ("12:19 am on 4 January, 2024", datetime(2024, 1, 4, 0, 19, tzinfo=UTC)),
        ("12:05 pm on 1 July, 2023", datetime(2023, 7, 1, 12, 5, tzinfo=UTC)),
        ("10:37 AM on 27 June 2023", datetime(2023, 6, 27, 10, 37, tzinfo=UTC)),
        ("9:38 pm on 16 Sept, 2023", datetime(2023, 9, 16, 21, 38, tzinfo=UTC)),
    ],
)
def test_parse_session_datetime(text: str, expected: datetime) -> None:
    assert parse_session_datetime(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "1:56 pm on 8 Smarch, 2023"])
def test_parse_session_datetime_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_session_datetime(text)


def test_turn_text_and_session() -> None:
    assert turn_text("Mel", "Look!") == "Mel: Look!"
    assert turn_text("Mel", "Look!", "a dog on a beach") == "Mel: Look! [shares a dog on a beach]"
    assert session_of("D12:3") == 12


def test_question_metrics_hand_made() -> None:
    # Evidence D1:2 and D3:1; the ranking finds D3:1 at rank 3, D1:2 at rank 12, and
    # turn D1:5 (same session as evidence D1:2) at rank 2.
    ranked = ["D2:1", "D1:5", "D3:1"] + [f"D4:{i}" for i in range(8)] + ["D1:2"]
    m = question_metrics(ranked, ["D1:2", "D3:1"])
    assert (m["recall@1"], m["hit@1"], m["session_hit@1"]) == (0.0, 0.0, 0.0)
    assert (m["recall@5"], m["hit@5"], m["session_hit@5"]) == (0.5, 1.0, 1.0)
    assert (m["recall@10"], m["hit@10"]) == (0.5, 1.0)
    assert (m["recall@20"], m["hit@20"], m["session_hit@20"]) == (1.0, 1.0, 1.0)
    # Session hit without an exact hit: D1:5 is in evidence session 1.
    m2 = question_metrics(["D1:5"], ["D1:2"], ks=(1,))
    assert m2 == {"recall@1": 0.0, "hit@1": 0.0, "session_hit@1": 1.0}
    # Shorter result lists than k are fine; empty evidence is not.
    assert question_metrics([], ["D1:1"], ks=(5,))["hit@5"] == 0.0
    with pytest.raises(ValueError):
        question_metrics(["D1:1"], [])


def test_aggregate_per_category_and_1_to_4() -> None:
    rows = [
        (1, {"hit@1": 1.0, "recall@1": 0.5}),
        (1, {"hit@1": 0.0, "recall@1": 0.0}),
        (4, {"hit@1": 1.0, "recall@1": 1.0}),
        (5, {"hit@1": 1.0, "recall@1": 1.0}),
    ]
    out = aggregate(rows)
    assert list(out) == ["1", "4", "5", "1-4"]
    assert out["1"] == {"n": 2.0, "hit@1": 50.0, "recall@1": 25.0}
    assert out["1-4"] == {"n": 3.0, "hit@1": pytest.approx(200 / 3), "recall@1": 50.0}
    assert out["5"]["n"] == 1.0  # adversarial questions are reported but not in 1-4


def test_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_parse_conversation_drops_questions_without_valid_evidence() -> None:
    sample = {
        "sample_id": "conv-x",
        "conversation": {
            "speaker_a": "A",
            "speaker_b": "B",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {"speaker": "A", "dia_id": "D1:1", "text": "hi"},
                {"speaker": "B", "dia_id": "D1:2", "text": "look", "blip_caption": "a cat"},
            ],
            "session_2_date_time": "2:00 pm on 9 May, 2023",  # a date without turns
        },
        "qa": [
            {"question": "q1", "answer": "a", "evidence": ["D1:02"], "category": 1},
            {"question": "q2", "answer": "a", "evidence": ["D1:1; D1:2"], "category": 2},
            {"question": "q3", "adversarial_answer": "a", "evidence": [], "category": 5},
            {"question": "q4", "answer": "a", "evidence": ["D7:1"], "category": 4},
        ],
    }
    conv = parse_conversation(sample)
    assert [t.text for t in conv.turns] == ["A: hi", "B: look [shares a cat]"]
    assert conv.turns[1].created_at == datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    assert [(q.question, q.evidence) for q in conv.questions] == [
        ("q1", ("D1:2",)),
        ("q2", ("D1:1", "D1:2")),
    ]
    assert conv.dropped == 2


DEV3 = Path(__file__).resolve().parents[2] / ".." / "shared/data/locomo/locomo_dev3.json"


@pytest.mark.skipif(not DEV3.exists(), reason="LoCoMo dev split not present")
def test_dev_split_loads() -> None:
    convs = load_locomo(DEV3)
    assert [c.sample_id for c in convs] == ["conv-26", "conv-30", "conv-41"]
    assert sum(len(c.turns) for c in convs) == 1451
    assert sum(len(c.questions) + c.dropped for c in convs) == 497
    assert all(q.evidence for c in convs for q in c.questions)
