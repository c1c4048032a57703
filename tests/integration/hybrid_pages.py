"""Shared by the hybrid-ranking REST tests: write records to a namespace, search it in hybrid
mode, and return the ids of the page in order."""

from __future__ import annotations

from typing import Any

# Turns about other things, the background of a page.
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


async def hybrid_ids(
    app: Any, namespace: str, records: list[dict[str, Any]], query: str
) -> list[str]:
    for r in records:
        r["namespace"] = namespace
    response = await app.http.post(
        "/v1/long-term-memory/", json={"memories": records, "deduplicate": False}
    )
    assert response.status_code == 200, response.text
    response = await app.http.post(
        "/v1/long-term-memory/search",
        json={"text": query, "namespace": {"eq": namespace}, "search_mode": "hybrid"},
    )
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["memories"]]
