"""Hybrid search over REST: a long turn that repeats the question's words does not bury the
short turn that states the fact when HYBRID_LONG_TURN is set (services/ranking.py:
damp_long_turns; off by default, see docs/benchmarks/retrieval.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_memory_server.config import Settings

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
OTHERS = [
    "My sister is visiting next weekend and wants to see a baseball game.",
    "I started learning to bake sourdough bread during the winter holidays.",
    "Can you suggest a good podcast about the history of ancient Rome?",
    "I finally finished the mystery novel my book club picked last month.",
    "The dentist said I need to come back in six months for a cleaning.",
    "I'm thinking about switching my phone plan to something cheaper.",
    "We had a team lunch at a ramen place near the office on Friday.",
    "I ran my first 10k race in the park and finished in 58 minutes.",
]


async def _ranked(app: Any, namespace: str) -> list[str]:
    records = [{"id": "fact", "text": FACT}, {"id": "essay", "text": ESSAY}] + [
        {"id": f"other-{i}", "text": t} for i, t in enumerate(OTHERS)
    ]
    for r in records:
        r["namespace"] = namespace
    response = await app.http.post(
        "/v1/long-term-memory/", json={"memories": records, "deduplicate": False}
    )
    assert response.status_code == 200, response.text
    response = await app.http.post(
        "/v1/long-term-memory/search",
        json={"text": QUERY, "namespace": {"eq": namespace}, "search_mode": "hybrid"},
    )
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["memories"]]


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
