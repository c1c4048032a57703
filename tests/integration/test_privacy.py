"""Privacy: redaction before anything is stored or embedded, and erasure of a user's data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from agent_memory_server.config import Settings
from agent_memory_server.services.auth import add_token
from agent_memory_server.tasks.summary_view_tasks import run_summary_view_task
from agent_memory_server.tasks.worker import drain
from tests.conftest import AppClient

SECRETS = (
    "Mail bob.smith@example.com or call +1 (415) 555-0100; the key is "
    "sk-proj-abcdefghijklmnopqrstuv. We meet on 2024-10-12 at 10:30 about PROJECT-42."
)
REDACTED = (
    "Mail [REDACTED:email] or call [REDACTED:phone]; the key is [REDACTED:key]. We meet on "
    "2024-10-12 at 10:30 about [REDACTED:pattern]."
)


async def test_redaction_applies_to_every_write(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    settings = make_settings(
        redact=["emails", "phones", "keys"], redact_patterns=[r"\bPROJECT-\d+\b"]
    )
    async with start_app(settings) as app:
        session = {
            "messages": [{"role": "user", "content": SECRETS}],
            "context": "Bob's address is bob.smith@example.com.",
            "memories": [{"id": "m0", "text": SECRETS}],
        }
        assert (await app.http.put("/v1/working-memory/s1", json=session)).status_code == 200
        more = {"messages": [{"role": "user", "content": "New number: 020 7946 0958."}]}
        assert (await app.http.post("/sessions/s1/memory", json=more)).status_code == 200
        stored = (await app.http.get("/v1/working-memory/s1")).json()
        assert stored["messages"][0]["content"] == REDACTED
        assert stored["messages"][1]["content"] == "New number: [REDACTED:phone]."
        assert stored["context"] == "Bob's address is [REDACTED:email]."
        assert stored["memories"][0]["text"] == REDACTED

        body = {"memories": [{"id": "m1", "text": SECRETS}]}
        assert (await app.http.post("/v1/long-term-memory/", json=body)).status_code == 200
        assert (await app.http.get("/v1/long-term-memory/m1")).json()["text"] == REDACTED
        edit = {"text": "Write to alice@example.org."}
        edited = await app.http.patch("/v1/long-term-memory/m1", json=edit)
        assert edited.json()["text"] == "Write to [REDACTED:email]."
        search = {"text": "example.org alice", "search_mode": "keyword"}
        found = (await app.http.post("/v1/long-term-memory/search", json=search)).json()
        assert found["total"] == 0  # the words are not in the index either
        raw = await app.resources.redis.hget(app.resources.keys.long_term("m1"), "text")
        assert raw == b"Write to [REDACTED:email]."


def test_a_bad_redaction_pattern_is_refused_at_start(
    make_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ValidationError, match="is not a regular expression"):
        make_settings(redact_patterns=["(unclosed"])


async def _seed(app: AppClient) -> None:
    memories = [
        {"id": "a-a", "text": "Alice lives in Lisbon.", "namespace": "a", "user_id": "alice"},
        {"id": "a-b", "text": "Alice plays chess.", "namespace": "b", "user_id": "alice"},
        {"id": "b-a", "text": "Bob lives in Oslo.", "namespace": "a", "user_id": "bob"},
    ]
    body = {"memories": memories, "deduplicate": False}
    assert (await app.http.post("/v1/long-term-memory/", json=body)).status_code == 200
    for ns, user in (("a", "alice"), ("b", "alice"), ("a", "bob")):
        session = {"messages": [{"role": "user", "content": f"hi from {user}"}], "user_id": user}
        put = await app.http.put(
            f"/v1/working-memory/s-{user}", json=session, params={"namespace": ns}
        )
        assert put.status_code == 200, put.text


async def test_erasing_a_user_removes_everything_they_own(app: AppClient) -> None:
    app.resources.docket.register(run_summary_view_task)
    await _seed(app)
    view = await app.http.post(
        "/v1/summary-views", json={"source": "long_term", "group_by": ["user_id"]}
    )
    await app.http.post(f"/v1/summary-views/{view.json()['id']}/run", json={})
    await drain(app.resources)

    only_b = await app.http.delete("/v1/users/alice", params={"namespace": "b"})
    # Alice's summary spans every namespace, b's memories included: it goes too.
    assert only_b.json() == {"sessions_deleted": 1, "memories_deleted": 1, "summaries_deleted": 1}
    assert (await app.http.get("/v1/long-term-memory/a-a")).status_code == 200

    erased = await app.http.delete("/v1/users/alice")
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"sessions_deleted": 1, "memories_deleted": 1, "summaries_deleted": 0}
    assert (await app.http.get("/v1/long-term-memory/a-a")).status_code == 404
    search = {"text": "", "user_id": {"eq": "alice"}}
    assert (await app.http.post("/v1/long-term-memory/search", json=search)).json()["total"] == 0
    gone = await app.http.get("/v1/working-memory/s-alice", params={"namespace": "a"})
    assert gone.status_code == 404
    partitions = await app.http.get(f"/v1/summary-views/{view.json()['id']}/partitions")
    assert [p["group"]["user_id"] for p in partitions.json()] == ["bob"]
    # Bob's data is untouched; erasing again finds nothing.
    assert (await app.http.get("/v1/long-term-memory/b-a")).status_code == 200
    bob = await app.http.get("/v1/working-memory/s-bob", params={"namespace": "a"})
    assert bob.status_code == 200
    again = (await app.http.delete("/v1/users/alice")).json()
    assert again == {"sessions_deleted": 0, "memories_deleted": 0, "summaries_deleted": 0}


async def test_only_the_user_or_an_operator_may_erase(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(auth_mode="token")) as app:
        r = app.resources
        admin, _ = await add_token(r.tokens, "admin")
        bob, _ = await add_token(r.tokens, "bob", None, user_id="bob")
        http = app.http
        http.headers["authorization"] = f"Bearer {admin}"
        await _seed(app)
        refused = await http.delete("/v1/users/alice", headers={"authorization": f"Bearer {bob}"})
        assert refused.status_code == 403
        assert (await http.get("/v1/long-term-memory/a-a")).status_code == 200
        own = await http.delete("/v1/users/bob", headers={"authorization": f"Bearer {bob}"})
        assert own.status_code == 200 and own.json()["memories_deleted"] == 1
