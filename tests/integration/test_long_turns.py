"""Hybrid search over REST: a long turn that repeats the question's words does not bury the
short turn that states the fact when HYBRID_LONG_TURN is set (services/ranking.py:
damp_long_turns; off by default, see docs/benchmarks/retrieval.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_memory_server.config import Settings
from tests.integration.hybrid_pages import OTHERS, hybrid_ids

QUERY = "How long have I been living in my apartment in Harajuku?"
FACT = "I moved into my little apartment in Harajuku in March 2021, right after the new job."
ESSAY = " ".join(
    [
        "Living in a Harajuku apartment has a lot going for it.",
        "Apartment hunting in Harajuku: look at apartments near the station first.",
        "Many people living in Harajuku say an apartment close to Takeshita Street is noisy;",
        "an apartment a few streets away keeps you close to everything Harajuku offers.",
        "For living costs, a one-room apartment in Harajuku runs higher than elsewhere.",
        "Apartment living tips: air the apartment daily, since Harajuku summers are humid.",
    ]
    * 6
)  # an assistant's long answer: the question's words, many times over


async def _ranked(app: Any, namespace: str) -> list[str]:
    records = [{"id": "fact", "text": FACT}, {"id": "essay", "text": ESSAY}] + [
        {"id": f"other-{i}", "text": t} for i, t in enumerate(OTHERS)
    ]
    return await hybrid_ids(app, namespace, records, QUERY)


async def test_a_long_turn_repeating_the_query_words_no_longer_outranks_the_fact(
    make_settings: Callable[..., Settings], start_app: Callable[[Settings], Any]
) -> None:
    async with start_app(make_settings()) as app:  # the default: off
        before = await _ranked(app, "long-turns")
    async with start_app(make_settings(hybrid_long_turn=4)) as app:
        after = await _ranked(app, "long-turns")
    assert before[0] == "essay", before  # BM25 rewards the repetitions
    assert after[0] == "fact", after
    assert "essay" in after[1:3], after  # damped, not dropped: still near the top
