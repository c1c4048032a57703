"""Hybrid search over REST with session text (HYBRID_SESSION_TEXT): a session's strength
also comes from BM25 of the query against the session's records taken together, read from
the index at query time within the caller's tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_memory_server.config import Settings
from agent_memory_server.services.auth import add_token

QUERY = "Which songs did the choir pick for the concert?"
# Sessions "A" and "B" each hold the same best turn (a tie, which the ids break for A); B's
# other records keep coming back to the choir, the songs and the concert.
BEST = "The choir picked the songs for the concert."
SESSIONS = {
    "A": [
        BEST,
        "I repainted the kitchen cabinets a pale green.",
        "My sister is moving to Lisbon next spring.",
        "The dentist moved my appointment to Tuesday.",
        "We adopted a grey kitten from the shelter.",
        "The bakery on the corner closed for good.",
    ],
    "B": [
        BEST,
        "The choir rehearsal ran long tonight.",
        "Tickets for the choir concert sold out in a day.",
        "Two of the songs have harmonies the choir finds hard.",
        "The bus was late again this morning.",
        "I finished the crossword before lunch.",
    ],
}
THEIRS = "Our choir sang the concert songs; the choir picked songs for every concert."


def _records(namespace: str) -> list[dict[str, Any]]:
    return [
        {"id": f"{namespace}-{session}{i}", "text": text, "namespace": namespace,
         "session_id": session}
        for session, texts in SESSIONS.items()
        for i, text in enumerate(texts)
    ]  # fmt: skip


async def _first_session(app: Any, headers: dict[str, str], **body: Any) -> str:
    response = await app.http.post(
        "/v1/long-term-memory/search", headers=headers,
        json={"text": QUERY, "search_mode": "hybrid", "limit": 5, **body},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return str(response.json()["memories"][0]["session_id"])


async def _write(app: Any, headers: dict[str, str], records: list[dict[str, Any]]) -> None:
    body = {"memories": records, "deduplicate": False}
    response = await app.http.post("/v1/long-term-memory/", headers=headers, json=body)
    assert response.status_code == 200, response.text


async def test_session_text_puts_the_turn_of_the_session_about_the_query_first(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    first = {}
    for share in (0.0, 0.5):
        async with start_app(make_settings(hybrid_session_text=share)) as app:
            await _write(app, {}, _records("mine"))
            first[share] = await _first_session(app, {}, namespace={"eq": "mine"})
    assert first == {0.0: "A", 0.5: "B"}


async def test_session_text_does_not_count_another_tenants_records(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    """Another tenant's namespace holds a session with A's id whose every record names the
    query's words: counted, it would make A the session about the query."""
    settings = make_settings(hybrid_session_text=0.5, auth_mode="token")
    async with start_app(settings) as app:
        admin, _ = await add_token(app.resources.tokens, "admin")
        mine, _ = await add_token(app.resources.tokens, "mine", ["mine"])
        as_admin = {"authorization": f"Bearer {admin}"}
        as_mine = {"authorization": f"Bearer {mine}"}
        await _write(app, as_admin, _records("mine"))
        await _write(app, as_admin, [
            {"id": f"theirs-{i}", "text": THEIRS, "namespace": "theirs", "session_id": "A"}
            for i in range(30)
        ])  # fmt: skip
        assert await _first_session(app, as_mine) == "B"
        assert await _first_session(app, as_admin, namespace={"eq": "mine"}) == "B"


async def test_a_place_of_the_page_goes_to_another_session(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    """B's turns about the choir fill the top of the page; with HYBRID_NEW_SESSION_PLACE=2
    the second place goes to A's one turn about a concert (the page still ordered by score)."""
    records = [
        {"id": f"b{i}", "text": text, "namespace": "spread", "session_id": "B"}
        for i, text in enumerate(SESSIONS["B"][:4])
    ] + [{"id": "a0", "text": "We went to a concert last year.", "namespace": "spread",
          "session_id": "A"}]  # fmt: skip
    pages = {}
    for place in (0, 2):
        settings = make_settings(hybrid_session_text=0.5, hybrid_new_session_place=place)
        async with start_app(settings) as app:
            await _write(app, {}, records)
            response = await app.http.post(
                "/v1/long-term-memory/search",
                json={"text": QUERY, "search_mode": "hybrid", "limit": 3,
                      "namespace": {"eq": "spread"}},
            )  # fmt: skip
            assert response.status_code == 200, response.text
            page = response.json()["memories"]
            pages[place] = [m["session_id"] for m in page]
            scores = [m["score"] for m in page]
            assert scores == sorted(scores, reverse=True)
    assert pages == {0: ["B", "B", "B"], 2: ["B", "A", "B"]}
