"""/v1/working-memory and the original /sessions routes through the app's real lifespan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import AppClient


def _msg(content: str, role: str = "user") -> dict[str, str]:
    return {"role": role, "content": content}


async def test_health_routes(app: AppClient) -> None:
    v1 = (await app.http.get("/v1/health")).json()["now"]
    legacy = (await app.http.get("/health")).json()["now"]
    assert abs(v1 / 1000 - legacy) < 5  # ms vs s
    assert legacy > 1.7e9


async def test_put_get_list_delete_round_trip(app: AppClient) -> None:
    body = {
        "messages": [_msg("I live in Lisbon"), _msg("Noted!", "assistant")],
        "namespace": "travel",
        "user_id": "alice",
        "data": {"trip": {"to": "Oslo", "days": 3}},
        "context": "Alice plans a trip.",
        "memories": [{"text": "Alice lives in Lisbon", "memory_type": "semantic"}],
    }
    put = await app.http.put("/v1/working-memory/s1", json=body)
    assert put.status_code == 200, put.text
    saved = put.json()
    assert saved["new_session"] is True
    assert [m["content"] for m in saved["messages"]] == ["I live in Lisbon", "Noted!"]
    assert all(len(m["id"]) == 26 for m in saved["messages"])  # ULIDs were assigned
    assert saved["tokens"] > 0

    got = (await app.http.get("/v1/working-memory/s1", params={"namespace": "travel"})).json()
    assert got["data"] == {"trip": {"to": "Oslo", "days": 3}}
    assert got["context"] == "Alice plans a trip."
    assert got["memories"][0]["text"] == "Alice lives in Lisbon"
    assert got["created_at"] == saved["created_at"]
    assert got["context_percentage_total_used"] is None

    again = await app.http.put("/v1/working-memory/s1", json={**body, "messages": []})
    assert again.json()["new_session"] is False
    assert again.json()["created_at"] == saved["created_at"]

    listed = (await app.http.get("/v1/working-memory/", params={"namespace": "travel"})).json()
    assert listed == {"sessions": ["s1"], "total": 1}

    deleted = await app.http.delete("/v1/working-memory/s1", params={"namespace": "travel"})
    assert deleted.json() == {"status": "ok"}
    assert (await app.http.get("/v1/working-memory/s1")).status_code == 404


async def test_session_found_by_id_alone_but_namespaces_stay_apart(app: AppClient) -> None:
    await app.http.put("/v1/working-memory/chat", json={"namespace": "a", "messages": [_msg("A")]})
    only = await app.http.get("/v1/working-memory/chat")
    assert only.status_code == 200
    assert only.json()["namespace"] == "a"

    await app.http.put("/v1/working-memory/chat", json={"namespace": "b", "messages": [_msg("B")]})
    in_a = (await app.http.get("/v1/working-memory/chat", params={"namespace": "a"})).json()
    in_b = (await app.http.get("/v1/working-memory/chat", params={"namespace": "b"})).json()
    assert in_a["messages"][0]["content"] == "A"
    assert in_b["messages"][0]["content"] == "B"

    ambiguous = await app.http.get("/v1/working-memory/chat")
    assert ambiguous.status_code == 409
    assert "'a'" in ambiguous.json()["detail"] and "'b'" in ambiguous.json()["detail"]
    assert (await app.http.delete("/v1/working-memory/chat")).status_code == 409

    listed = (await app.http.get("/v1/working-memory/")).json()
    assert listed["total"] == 2


async def test_owner_is_checked_on_read_and_write(app: AppClient) -> None:
    await app.http.put("/v1/working-memory/s", json={"user_id": "alice", "messages": []})
    assert (await app.http.get("/v1/working-memory/s", params={"user_id": "alice"})).is_success
    other = await app.http.get("/v1/working-memory/s", params={"user_id": "bob"})
    assert other.status_code == 404
    steal = await app.http.put("/v1/working-memory/s", json={"user_id": "bob", "messages": []})
    assert steal.status_code == 409
    by_user = (await app.http.get("/v1/working-memory/", params={"user_id": "alice"})).json()
    assert by_user == {"sessions": ["s"], "total": 1}


async def test_list_pagination_has_true_total(app: AppClient) -> None:
    for i in range(7):
        await app.http.put(f"/v1/working-memory/p{i}", json={"namespace": "pages"})
    first = (
        await app.http.get("/v1/working-memory/", params={"namespace": "pages", "limit": 3})
    ).json()
    last = (
        await app.http.get(
            "/v1/working-memory/", params={"namespace": "pages", "limit": 3, "offset": 6}
        )
    ).json()
    assert first == {"sessions": ["p0", "p1", "p2"], "total": 7}
    assert last == {"sessions": ["p6"], "total": 7}


async def test_ttl_is_applied(app: AppClient) -> None:
    await app.http.put("/v1/working-memory/t", json={"ttl_seconds": 120})
    key = app.resources.keys.working_memory(None, "t")
    ttl = await app.resources.redis.ttl(key)
    assert 0 < ttl <= 120
    await app.http.put("/v1/working-memory/forever", json={})
    assert await app.resources.redis.ttl(app.resources.keys.working_memory(None, "forever")) == -1


async def test_a_read_records_the_access_of_the_session_it_returns(app: AppClient) -> None:
    """last_accessed and the TTL are renewed by a read that returns the session, by no other."""
    owner = {"namespace": "n", "user_id": "u"}
    await app.http.put("/v1/working-memory/s", params=owner, json={"ttl_seconds": 1000})
    redis, key = app.resources.redis, app.resources.keys.working_memory("n", "s")

    async def last_accessed() -> datetime:
        return datetime.fromisoformat((await redis.json().get(key, "$.last_accessed"))[0])

    for refused, status in (
        ({"namespace": "n", "user_id": "other"}, 404),
        ({**owner, "model_name": "no-such-model"}, 400),
        ({"user_id": "other"}, 404),
    ):
        await redis.expire(key, 10)
        before = await last_accessed()
        response = await app.http.get("/v1/working-memory/s", params=refused)
        assert response.status_code == status, refused
        assert await redis.ttl(key) <= 10 and await last_accessed() == before, refused
    for found in (owner, {"namespace": "n"}, {"user_id": "u"}, {}):
        await redis.expire(key, 10)
        before = await last_accessed()
        got = await app.http.get("/v1/working-memory/s", params=found)
        assert got.status_code == 200, found
        assert datetime.fromisoformat(got.json()["last_accessed"]) == before  # as it was read
        assert 10 < await redis.ttl(key) <= 1000 and await last_accessed() > before, found


async def test_bad_input_gets_4xx_naming_the_problem(app: AppClient) -> None:
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    cases = [
        ({"messages": [{"content": "no role"}]}, "role"),
        ({"messages": [{"role": "user"}]}, "content"),
        ({"messages": [{"role": "user", "content": "x", "created_at": future}]}, "future"),
        ({"messages": "not a list"}, "messages"),
        ({"ttl_seconds": -5}, "ttl_seconds"),
        ({"session_id": "other"}, "does not match"),
    ]
    for body, word in cases:
        response = await app.http.put("/v1/working-memory/bad", json=body)
        assert 400 <= response.status_code < 500, (body, response.text)
        assert word in response.text, (body, response.text)
    raw = await app.http.put(
        "/v1/working-memory/bad", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert raw.status_code == 422
    assert (await app.http.get("/v1/working-memory/", params={"limit": 0})).status_code == 422
    assert (await app.http.get("/v1/working-memory/", params={"limit": "x"})).status_code == 422
    unknown = await app.http.get("/v1/working-memory/x", params={"model_name": "no-such-model"})
    assert unknown.status_code in (400, 404)
    put_unknown = await app.http.put("/v1/working-memory/x", json={}, params={"model_name": "nope"})
    assert put_unknown.status_code == 400 and "Unknown model_name" in put_unknown.json()["detail"]
    small = await app.http.put("/v1/working-memory/x", json={}, params={"context_window_max": 3})
    assert small.status_code == 422 and "context_window_max" in small.text
    # Ids in the path are identifiers: no control characters (found by `make api-fuzz`).
    for path in ("/v1/working-memory/%0D", "/sessions/a%18b/memory", "/v1/long-term-memory/%00"):
        control = await app.http.get(path)
        assert control.status_code == 422 and "pattern" in control.text, (path, control.text)
    appended = await app.http.post("/sessions/a%18b/memory", json={"messages": []})
    assert appended.status_code == 422
    # nothing stored was touched by the failed writes
    assert (await app.http.get("/v1/working-memory/bad")).status_code == 404


async def test_window_usage_is_reported(app: AppClient) -> None:
    body = {"messages": [_msg("word " * 300)]}
    put = await app.http.put("/v1/working-memory/w", json=body, params={"context_window_max": 1000})
    usage = put.json()
    assert 30 < usage["context_percentage_total_used"] < 35
    assert 40 < usage["context_percentage_until_summarization"] < 50
    by_model = await app.http.get("/v1/working-memory/w", params={"model_name": "gpt-4o"})
    assert by_model.json()["context_percentage_total_used"] < 1


async def test_original_session_routes(app: AppClient) -> None:
    first = await app.http.post("/sessions/legacy/memory", json={"messages": [_msg("one")]})
    assert first.json() == {"status": "ok"}
    await app.http.post(
        "/sessions/legacy/memory", json={"messages": [_msg("two"), _msg("three")], "context": "c"}
    )
    memory = (await app.http.get("/sessions/legacy/memory")).json()
    assert [m["content"] for m in memory["messages"]] == ["one", "two", "three"]
    assert memory["context"] == "c"
    assert memory["tokens"] > 0
    window = (await app.http.get("/sessions/legacy/memory", params={"window_size": 2})).json()
    assert [m["content"] for m in window["messages"]] == ["two", "three"]
    listed = (await app.http.get("/sessions/", params={"page": 1, "size": 10})).json()
    assert listed["sessions"] == ["legacy"] and listed["total"] == 1
    assert (await app.http.delete("/sessions/legacy/memory")).json() == {"status": "ok"}
    assert (await app.http.get("/sessions/legacy/memory")).status_code == 404
    bad = await app.http.post("/sessions/legacy/memory", json={"messages": [{"role": "user"}]})
    assert bad.status_code == 422


async def test_session_owners_and_namespaces_match_exactly(app: AppClient) -> None:
    await app.http.put("/v1/working-memory/s", json={"user_id": "Alice", "namespace": "N,1"})
    assert (
        await app.http.get("/v1/working-memory/s", params={"user_id": "alice"})
    ).status_code == 404
    listed = (await app.http.get("/v1/working-memory/", params={"namespace": "N"})).json()
    assert listed == {"sessions": [], "total": 0}
    listed = (await app.http.get("/v1/working-memory/", params={"namespace": "N,1"})).json()
    assert listed == {"sessions": ["s"], "total": 1}


async def test_append_naming_its_user(app: AppClient) -> None:
    """An append that names its user creates the session, adds up its tokens, stores the
    window it names, and is refused whole on another user's session."""
    params = {"user_id": "ann", "namespace": "n"}
    one, two = _msg("one"), _msg("two and three")
    first = await app.http.post("/sessions/ap/memory", params=params, json={"messages": [one]})
    assert first.status_code == 200, first.text
    sized = {**params, "context_window_max": 5000}
    second = await app.http.post("/sessions/ap/memory", params=sized, json={"messages": [two]})
    assert second.status_code == 200, second.text
    got = (await app.http.get("/v1/working-memory/ap", params=params)).json()
    assert [m["content"] for m in got["messages"]] == ["one", "two and three"]
    assert got["user_id"] == "ann" and got["context_window_max"] == 5000
    whole = await app.http.put("/v1/working-memory/w2", json={"messages": [one, two]})
    assert got["tokens"] == whole.json()["tokens"] > 0
    steal = await app.http.post(
        "/sessions/ap/memory", params={**params, "user_id": "bob"}, json={"messages": [_msg("x")]}
    )
    assert steal.status_code == 409
    after = (await app.http.get("/v1/working-memory/ap", params=params)).json()
    assert len(after["messages"]) == 2 and after["tokens"] == got["tokens"]
