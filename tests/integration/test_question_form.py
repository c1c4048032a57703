"""Hybrid search leaves how a question asks out of its keyword leg (HYBRID_QUESTION_FORM,
services/turn_text.py: without_question_form; on by default): "How many days ago did I meet
Emma?" looks for meeting Emma, not for records that repeat "days" and "many"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_memory_server.config import Settings
from tests.integration.hybrid_pages import OTHERS, hybrid_ids

FACT = "Caught up with Emma over lunch today; she might collaborate on the newsletter."
COUNTS = (
    "Countdown planner: how many days are left, days until the launch, days since the last "
    "release, how many weeks ago the audit was, and many more days to count."
)
QUERY = "How many days ago did I meet Emma?"


async def _ranked(app: Any, namespace: str) -> list[str]:
    records: list[dict[str, Any]] = [
        {"id": "fact", "text": FACT, "session_id": "s1"},
        {"id": "counts", "text": COUNTS, "session_id": "s2"},
    ] + [{"id": f"other-{i}", "text": t, "session_id": f"s{i + 3}"} for i, t in enumerate(OTHERS)]
    return await hybrid_ids(app, namespace, records, QUERY)


async def test_the_question_form_does_not_pull_records_that_repeat_it(
    make_settings: Callable[..., Settings], start_app: Callable[[Settings], Any]
) -> None:
    async with start_app(make_settings(hybrid_question_form=False)) as app:
        before = await _ranked(app, "question-form-off")
    async with start_app(make_settings()) as app:  # the default
        after = await _ranked(app, "question-form-on")
    assert before[0] == "counts", before  # "many", "days", "ago": BM25 and meaning
    assert after[0] == "fact", after


async def test_keyword_mode_still_searches_every_word(
    make_settings: Callable[..., Settings], start_app: Callable[[Settings], Any]
) -> None:
    async with start_app(make_settings()) as app:
        await _ranked(app, "question-form-keyword")
        response = await app.http.post(
            "/v1/long-term-memory/search",
            json={"text": "how many days", "namespace": {"eq": "question-form-keyword"},
                  "search_mode": "keyword"},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        assert [m["id"] for m in response.json()["memories"]][:1] == ["counts"]


async def test_a_query_that_is_all_question_form_keeps_its_words(
    make_settings: Callable[..., Settings], start_app: Callable[[Settings], Any]
) -> None:
    async with start_app(make_settings()) as app:
        await _ranked(app, "question-form-all")
        response = await app.http.post(
            "/v1/long-term-memory/search",
            json={"text": "How many days ago?", "namespace": {"eq": "question-form-all"},
                  "search_mode": "hybrid"},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        first = response.json()["memories"][0]
        assert (first["id"], first["keyword_rank"]) == ("counts", 1), first  # the keyword leg ran
