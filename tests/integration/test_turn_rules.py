"""Hybrid search over REST with the assistant rule (HYBRID_ASSISTANT_FACTOR, services/ranking.py;
on by default): an assistant's long answer that repeats the question's words no longer outranks
the user's short statement of the fact, unless the question speaks to the assistant. (The
coverage rule, off by default, is tested in tests/unit/test_turn_rules.py; the text it reads
comes back from the legs as test_long_turns.py's lengths do.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from redisvl.query.filter import Tag

from agent_memory_server.config import Settings
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.storage.keyword_page import VECTORS_FETCHED
from agent_memory_server.storage.replies import TURN_FIELDS
from tests.integration.hybrid_pages import OTHERS, hybrid_ids

FACT = "I moved into my little apartment in Harajuku in March 2021, right after the new job."
ANSWER = " ".join(
    [
        "Living in a Harajuku apartment has a lot going for it.",
        "Apartment hunting in Harajuku: look at apartments near the station first.",
        "Many people living in Harajuku say an apartment close to Takeshita Street is noisy;",
        "an apartment a few streets away keeps you close to everything Harajuku offers.",
        "For living costs, a one-room apartment in Harajuku runs higher than elsewhere.",
    ]
    * 3
)  # the assistant's long answer: the question's words, many times over


async def _ranked(app: Any, namespace: str, query: str) -> list[str]:
    records: list[dict[str, Any]] = [
        {"id": "fact", "text": FACT, "session_id": "s1", "metadata": {"role": "user"}},
        {"id": "answer", "text": ANSWER, "session_id": "s1", "metadata": {"role": "assistant"}},
        {"id": "bare", "text": "A note with no role about the weather in Osaka."},
    ] + [
        {"id": f"other-{i}", "text": t, "session_id": f"s{i + 2}", "metadata": {"role": "user"}}
        for i, t in enumerate(OTHERS)
    ]
    return await hybrid_ids(app, namespace, records, query)


async def test_the_users_statement_outranks_the_assistants_repetitive_answer(
    make_settings: Callable[..., Settings], start_app: Callable[[Settings], Any]
) -> None:
    query = "How long have I been living in my apartment in Harajuku?"
    async with start_app(make_settings(hybrid_assistant_factor=1)) as app:
        before = await _ranked(app, "turn-rules-off", query)
    async with start_app(make_settings()) as app:  # the default: HYBRID_ASSISTANT_FACTOR 0.6
        after = await _ranked(app, "turn-rules-on", query)
    assert before[0] == "answer", before  # BM25 and meaning both favour the long answer
    assert after[0] == "fact", after
    assert "answer" in after[1:3], after  # damped, not dropped: its session still counts


async def test_a_question_to_the_assistant_is_not_damped(
    make_settings: Callable[..., Settings], start_app: Callable[[Settings], Any]
) -> None:
    query = "What did you tell me about living in an apartment in Harajuku?"
    async with start_app(make_settings()) as app:
        ranked = await _ranked(app, "turn-rules-you", query)
    assert ranked[0] == "answer", ranked


async def test_the_legs_return_text_and_role_of_hits_tied_past_the_vectors_fetched(
    make_settings: Callable[..., Settings], start_app: Callable[[Settings], Any]
) -> None:
    """The keyword leg deepens its fetch while the k-th and the last hit tie; past
    VECTORS_FETCHED hits it leaves the vectors out, but still returns what the turn rules
    read (the text, the metadata's role) for every tied hit."""
    async with start_app(make_settings()) as app:
        store = app.resources.long_term
        n = VECTORS_FETCHED + 44
        records = [
            MemoryRecord(
                id=f"t{i:03d}",
                text="Same words here.",
                namespace="ties",
                metadata={"role": "assistant" if i % 2 else "user"},
            )
            for i in range(n)
        ]
        rng = np.random.default_rng(3)
        vectors = rng.random((n, app.resources.embedder.dimension), dtype=np.float32)
        await store.upsert(list(zip(records, vectors, strict=True)))
        hits, total = await store.keyword(
            ["same", "words"], Tag("namespace") == "ties", 10, False, TURN_FIELDS, vectors=True
        )
    assert total == n and len(hits) == n  # all tied with the 10th
    assert all(h.text == "Same words here." for h in hits)
    assert sorted(h.role or "" for h in hits) == sorted(r.metadata["role"] for r in records)
