"""Hybrid search over REST: the asker's `now` against event dates, and sessions as evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

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
