"""Keyword search within a namespace scores every query term a record matches (BM25), as an
unfiltered search does: storage/connection.py's exact_union_scores."""

from __future__ import annotations

from typing import Any

from tests.conftest import AppClient

TEXTS = {
    "first": "The choir picked the songs for the concert.",
    "other": "Tickets for the choir concert sold out in a day.",
    "harmony": "Two of the songs have harmonies the choir finds hard.",
    "second": "The choir picked the songs for the concert.",  # the same words as "first"
    "late": "The choir rehearsal ran long tonight.",
}


async def test_records_with_the_same_words_get_the_same_keyword_score(app: AppClient) -> None:
    records = [{"id": key, "text": text, "namespace": "kw"} for key, text in TEXTS.items()]
    response = await app.http.post(
        "/v1/long-term-memory/", json={"memories": records, "deduplicate": False}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = {
        "text": "Which songs did the choir pick for the concert?", "search_mode": "keyword",
        "namespace": {"eq": "kw"}, "limit": 5,
    }  # fmt: skip
    response = await app.http.post("/v1/long-term-memory/search", json=body)
    assert response.status_code == 200, response.text
    scores = {m["id"]: m["score"] for m in response.json()["memories"]}
    assert scores["first"] == scores["second"]
    assert min(scores["first"], scores["second"]) > max(
        scores[k] for k in ("other", "harmony", "late")
    )
