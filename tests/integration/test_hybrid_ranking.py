"""Hybrid search over REST: the asker's `now` against event dates, and sessions as evidence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from agent_memory_server.config import Settings
from tests.conftest import AppClient

NOW = datetime(2023, 5, 30, 23, 40, tzinfo=UTC)
TEXT = "I bought a new pair of running shoes at the mall."


async def _search(app: AppClient, **body: Any) -> list[str]:
    response = await app.http.post("/v1/long-term-memory/search", json=body)
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["memories"]]


async def _write(app: AppClient, records: list[dict[str, Any]]) -> None:
    response = await app.http.post(
        "/v1/long-term-memory/", json={"memories": records, "deduplicate": False}
    )
    assert response.status_code == 200, response.text


async def test_a_relative_date_in_the_query_favours_records_of_that_date(app: AppClient) -> None:
    """Two records say the same thing; "two weeks ago" read against the asker's now picks the
    one whose event_date is two weeks before it, whichever of them is the newer."""
    ago = {"2w": NOW - timedelta(days=14), "3m": NOW - timedelta(days=90)}
    await _write(app, [
        {"id": key, "text": TEXT, "namespace": "dates", "session_id": f"s-{key}",
         "event_date": when.isoformat(), "created_at": when.isoformat()}
        for key, when in ago.items()
    ])  # fmt: skip
    query = "Where did I buy running shoes two weeks ago?"
    for now in (NOW, NOW - timedelta(days=76)):  # then "two weeks ago" is the other record
        ids = await _search(app, text=query, namespace={"eq": "dates"}, search_mode="hybrid",
                            now=now.isoformat())  # fmt: skip
        expected = "2w" if now == NOW else "3m"
        assert ids[0] == expected, (now, ids)


async def test_now_must_be_a_date(app: AppClient) -> None:
    response = await app.http.post(
        "/v1/long-term-memory/search", json={"text": "shoes", "now": "next tuesday-ish"}
    )
    assert response.status_code == 422
    assert "now" in response.text


async def test_hits_of_the_keyword_leg_alone_report_their_true_distance(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    """A hybrid hit that only the keyword leg found (beyond the semantic leg's candidates)
    reports the same cosine distance as a semantic search gives the same record."""
    fillers = [f"Morning routine note {i}: coffee, a short walk and the news." for i in range(12)]
    odd = "Quarterly invoice for the zebra enclosure repairs was approved."
    async with start_app(make_settings(search_candidates=10)) as app:
        await _write(app, [{"id": f"f{i}", "text": t, "namespace": "d"}
                           for i, t in enumerate(fillers)] + [
                          {"id": "odd", "text": odd, "namespace": "d"}])  # fmt: skip

        async def distances(mode: str, limit: int) -> dict[str, float]:
            body = {"text": "morning coffee walk news zebra", "namespace": {"eq": "d"},
                    "limit": limit, "search_mode": mode, "hybrid_alpha": 0.1}  # fmt: skip
            response = await app.http.post("/v1/long-term-memory/search", json=body)
            assert response.status_code == 200, response.text
            return {m["id"]: m["dist"] for m in response.json()["memories"]}

        nearest = await distances("semantic", 10)
        assert "odd" not in nearest  # beyond the semantic leg's 10 candidates
        every, hybrid = await distances("semantic", 20), await distances("hybrid", 10)
        assert "odd" in hybrid  # found by the keyword leg alone
        for memory_id, dist in hybrid.items():
            assert abs(dist - every[memory_id]) < 1e-4, memory_id
