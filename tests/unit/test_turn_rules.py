"""Hybrid ranking's turn rules: content-word coverage in the keyword leg, and an assistant's
turn damped unless the query addresses the assistant (services/ranking.py, turn_text.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent_memory_server.services.ranking import (
    Candidate,
    RankingParams,
    damp_assistant,
    fuse_minmax,
    rank_hybrid,
    set_coverage,
)
from agent_memory_server.services.turn_text import (
    addresses_assistant,
    coverage,
    stem,
    stems,
    without_question_form,
)
from agent_memory_server.storage.filters import query_terms

NOW = 1_700_000_000.0
PARAMS = RankingParams(fusion="minmax", alpha=0.6, session_weight=0.3)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("running", "run"),
        ("moved", "move"),
        ("moving", "moves"),
        ("classes", "class"),
        ("studies", "study"),
        ("apartments", "apartment"),
        ("Sarah's", "sarah"),
        ("quickly", "quick"),
    ],
)
def test_the_stemmer_meets_the_forms_of_a_word(a: str, b: str) -> None:
    assert stem(a) == stem(b)


@pytest.mark.parametrize(("a", "b"), [("bus", "bu"), ("cat", "car"), ("class", "clas")])
def test_the_stemmer_keeps_distinct_words_apart(a: str, b: str) -> None:
    assert stem(a) != stem(b)


def test_coverage_counts_distinct_query_words_not_repetitions() -> None:
    terms = ["living", "apartment", "harajuku"]
    assert coverage(terms, "I moved into my apartment in Harajuku in 2021.") == pytest.approx(2 / 3)
    assert coverage(terms, "apartment " * 50) == pytest.approx(1 / 3)
    assert coverage(terms, "I live in an apartment in Harajuku") == 1.0  # living ~ live
    assert coverage([], "anything") is None


@pytest.mark.parametrize(
    "text",
    [
        "Well-known studies: she MOVED, he's moving; 'moved' and re-moved don't count twice.",
        "The study_group studied classes; classy class-mates. Running runs runner.",
        "Sarah's apartments (apartment-hunting) in Harajuku\u2019s streets, 3 apartments.",
        "",
    ],
)
def test_coverage_finds_what_stemming_every_word_finds(text: str) -> None:
    terms = ["moved", "study", "class", "running", "apartment", "harajuku", "sarah", "known"]
    wanted = {stem(t) for t in terms}
    assert coverage(terms, text) == len(wanted & stems(text)) / len(wanted)


def test_coverage_needs_content_words_in_the_query() -> None:
    cands = [Candidate("a", text="the cat sat")]
    assert set_coverage(cands, "what is it?") is False  # only stop words
    assert cands[0].coverage is None
    assert set_coverage(cands, "which cat sang") is True
    assert cands[0].coverage == 0.5  # "cat" is found, "sang" is not ("which": a stop word)


def test_coverage_takes_its_share_of_the_keyword_leg() -> None:
    def pool() -> list[Candidate]:
        return [  # the keyword leg alone decides (alpha 0)
            Candidate("essay", distance=0.3, keyword=10.0, coverage=1 / 3),
            Candidate("fact", distance=0.3, keyword=6.0, coverage=1.0),
            Candidate("other", distance=0.3, keyword=1.0, coverage=0.0),
        ]

    bm25, mixed = pool(), pool()
    fuse_minmax(bm25, alpha=0.0)
    fuse_minmax(mixed, alpha=0.0, coverage_weight=0.5)
    assert bm25[0].score > bm25[1].score  # BM25 rewards the repetitions
    assert mixed[1].score > mixed[0].score  # the fact covers every query word
    assert mixed[1].score == pytest.approx(0.5 * (5 / 9) + 0.5 * 1.0)


@pytest.mark.parametrize(
    ("query", "addressed"),
    [
        ("What did you suggest for my trip to Rome?", True),
        ("Remind me of your recipe for pancakes", True),
        ("Where did I go on vacation?", False),
        ("What is the name of my youngest cat?", False),  # "youngest" is not "you"
    ],
)
def test_addresses_assistant(query: str, addressed: bool) -> None:
    assert addresses_assistant(query) is addressed


def test_an_assistant_turn_is_damped_unless_the_query_speaks_to_it() -> None:
    def pool() -> list[Candidate]:
        return [
            Candidate("a", score=1.0, role="assistant"),
            Candidate("u", score=0.8, role="user"),
            Candidate("n", score=0.9),  # no role (a promoted record): untouched
        ]

    damped = pool()
    assert damp_assistant(damped, "Where did I buy my bike?", 0.7) is True
    assert [c.score for c in damped] == pytest.approx([0.7, 0.8, 0.9])
    spoken_to = pool()
    assert damp_assistant(spoken_to, "Which bike shop did you recommend?", 0.7) is False
    assert [c.score for c in spoken_to] == [1.0, 0.8, 0.9]
    off = pool()
    assert damp_assistant(off, "Where did I buy my bike?", 1.0) is False
    assert [c.score for c in off] == [1.0, 0.8, 0.9]


def test_rank_hybrid_puts_the_users_statement_above_the_assistants_answer() -> None:
    def pool() -> list[Candidate]:
        return [
            Candidate("answer", distance=0.30, keyword=9.0, session="s1", role="assistant"),
            Candidate("statement", distance=0.32, keyword=5.0, session="s1", role="user"),
            *[
                Candidate(f"o{i}", distance=0.7, keyword=1.0, session=f"x{i}", role="user")
                for i in range(6)
            ],
        ]

    def order(params: RankingParams, query: str) -> list[str]:
        cands = pool()
        rank_hybrid(cands, params, query, NOW)
        return [c.id for c in sorted(cands, key=lambda c: -c.score)]

    on = replace(PARAMS, assistant_factor=0.7)
    assert order(PARAMS, "Where did I buy my bike?")[0] == "answer"
    assert order(on, "Where did I buy my bike?")[:2] == ["statement", "answer"]
    assert order(on, "Which bike did you recommend?")[0] == "answer"


def test_a_damped_assistant_turn_still_speaks_for_its_session() -> None:
    cands = [
        Candidate("answer", distance=0.2, keyword=9.0, session="s1", role="assistant"),
        Candidate("statement", distance=0.5, keyword=2.0, session="s1", role="user"),
        Candidate("rival", distance=0.45, keyword=3.0, session="s2", role="user"),
        *[Candidate(f"o{i}", distance=0.8, keyword=1.0, session=f"x{i}") for i in range(5)],
    ]
    rank_hybrid(cands, replace(PARAMS, assistant_factor=0.7), "Where did I buy my bike?", NOW)
    by_id = {c.id: c.score for c in cands}
    # s1 keeps the strength of its (undamped) best turn, so its user turn beats s2's.
    assert by_id["statement"] > by_id["rival"]


def test_rank_hybrid_reads_coverage_from_the_text() -> None:
    def pool() -> list[Candidate]:
        essay = "Apartment hunting: apartments in Harajuku, apartment tips, apartment costs. " * 5
        return [
            Candidate("essay", distance=0.35, keyword=12.0, text=essay),
            Candidate(
                "fact",
                distance=0.30,
                keyword=7.0,
                text="I moved into my apartment in "
                "Harajuku in March 2021 and have been living there since.",
            ),
            *[
                Candidate(f"o{i}", distance=0.7, keyword=1.0, text="something else")
                for i in range(6)
            ],
        ]

    query = "How long have I been living in my apartment in Harajuku?"
    off, on = pool(), pool()
    rank_hybrid(off, PARAMS, query, NOW)
    rank_hybrid(on, replace(PARAMS, coverage_weight=0.5), query, NOW)
    assert max(off, key=lambda c: c.score).id == "essay"
    assert max(on, key=lambda c: c.score).id == "fact"


def test_coverage_leaves_out_how_the_question_asks() -> None:
    query = "How many months ago did I attend the photography workshop?"
    kept = [Candidate("a", text="I went to a 3-day photography workshop today")]
    skipped = [Candidate("a", text="I went to a 3-day photography workshop today")]
    set_coverage(kept, query, skip_question_words=False)
    set_coverage(skipped, query, skip_question_words=True)
    assert kept[0].coverage == pytest.approx(2 / 6)  # many, months, ago, attend missing
    assert skipped[0].coverage == pytest.approx(2 / 3)  # only attend missing
    assert set_coverage(skipped, "How many days ago?", skip_question_words=True) is False


def test_the_assistant_rule_holds_under_rrf_fusion_too() -> None:
    cands = [
        Candidate("answer", semantic_rank=1, keyword_rank=1, session="s1", role="assistant"),
        Candidate("statement", semantic_rank=2, keyword_rank=2, session="s2", role="user"),
    ]
    rank_hybrid(cands, RankingParams(assistant_factor=0.6), "Where did I buy my bike?", NOW)
    assert cands[1].score > cands[0].score


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("How many days ago did I meet Emma?", ["meet", "emma"]),
        ("How many months ago did I attend the photography workshop?",
         ["attend", "photography", "workshop"]),
        ("What is the total number of siblings I have?", ["siblings"]),
        ("How much did I spend in total on gifts?", ["spend", "gifts"]),
        ("How long have I been practising yoga?", ["practising", "yoga"]),
        ("How many times did I go to the beach?", ["go", "beach"]),
        ("How many cousins came to the wedding?", ["cousins", "came", "wedding"]),
        # the same words naming content stay
        ("What is the phone number of my dentist?", ["phone", "number", "dentist"]),
        ("Which rainy days did I spend at the museum?", ["rainy", "days", "spend", "museum"]),
        ("What did I buy for the long weekend?", ["buy", "long", "weekend"]),
    ],
)  # fmt: skip
def test_without_question_form_keeps_what_the_question_asks_about(
    query: str, terms: list[str]
) -> None:
    assert query_terms(without_question_form(query)) == terms
