"""The API routes the workbench (/ui) reads: session overview, facets, the compaction dry run,
prompt token counts, hybrid legs; and the /ui switch and its headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_memory_server.config import Settings
from agent_memory_server.services.auth import add_token
from agent_memory_server.ui.routes import ui_enabled
from tests.conftest import AppClient


def _memory(memory_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"id": memory_id, "text": text, "namespace": "w", "user_id": "u1", **extra}


async def _post(app: AppClient, path: str, body: Any, **params: Any) -> Any:
    response = await app.http.post(path, json=body, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_session_overview_reports_size_window_and_ttl(app: AppClient) -> None:
    session = {"messages": [{"role": "user", "content": "hello " * 50}], "user_id": "u1",
               "ttl_seconds": 600}  # fmt: skip
    put = await app.http.put(
        "/v1/working-memory/s1", json=session,
        params={"namespace": "w", "context_window_max": 1000},
    )  # fmt: skip
    assert put.status_code == 200, put.text
    await app.http.put("/v1/working-memory/s2", json={"messages": []}, params={"namespace": "x"})
    listed = (await app.http.get("/v1/sessions", params={"namespace": "w"})).json()
    assert listed["total"] == 1
    (s1,) = listed["sessions"]
    assert (s1["session_id"], s1["user_id"], s1["message_count"]) == ("s1", "u1", 1)
    assert s1["tokens"] == put.json()["tokens"] > 50
    assert s1["context_window_max"] == 1000
    assert s1["summarization_threshold_tokens"] == 700  # SUMMARIZATION_THRESHOLD 0.7
    assert s1["context_percentage_total_used"] == round(100 * s1["tokens"] / 1000, 2)
    assert 0 < s1["expires_in_seconds"] <= 600
    every = (await app.http.get("/v1/sessions")).json()
    assert every["total"] == 2
    assert (await app.http.get("/v1/sessions", params={"limit": 0})).status_code == 422


async def test_facets_count_each_value_of_multi_valued_fields(app: AppClient) -> None:
    memories = [
        _memory("f1", "Hiking in the Alps", topics=["travel", "sport"], entities=["Alps"]),
        _memory("f2", "Skiing in the Alps", topics=["sport"], entities=["Alps"]),
        _memory("f3", "Paris in spring", topics=["travel"], namespace="other"),
    ]
    await _post(app, "/v1/long-term-memory/", {"memories": memories})
    every = await _post(app, "/v1/long-term-memory/facets", {"fields": ["topics", "namespace"]})
    assert every["total"] == 3
    assert every["facets"]["topics"] == [
        {"value": "sport", "count": 2}, {"value": "travel", "count": 2},
    ]  # fmt: skip
    assert every["facets"]["namespace"] == [
        {"value": "w", "count": 2}, {"value": "other", "count": 1},
    ]  # fmt: skip
    scoped = await _post(
        app, "/v1/long-term-memory/facets",
        {"namespace": {"eq": "w"}, "topics": {"any": ["travel"]}, "fields": ["entities"]},
    )  # fmt: skip
    assert scoped == {"total": 1, "facets": {"entities": [{"value": "Alps", "count": 1}]}}
    bad = await app.http.post("/v1/long-term-memory/facets", json={"fields": ["text"]})
    assert bad.status_code == 422


async def test_compaction_dry_run_changes_nothing_then_apply_does_what_it_said(
    app: AppClient,
) -> None:
    memories = [
        _memory("c1", "The user lives in Lisbon.", created_at=1_700_000_000),
        _memory("c2", "The user lives in Lisbon.", created_at=1_700_000_100),
        _memory("c3", "The user owns a red bicycle.", created_at=1_700_000_200),
    ]
    await _post(app, "/v1/long-term-memory/", {"memories": memories, "deduplicate": False})
    plan = await _post(app, "/v1/long-term-memory/compact", None, namespace="w", dry_run="true")
    assert plan["dry_run"] is True
    assert (plan["scanned"], plan["exact_duplicates_removed"], plan["kept"]) == (3, 1, 2)
    (group,) = plan["groups"]
    assert (group["kind"], group["keep_id"], group["absorbed_ids"]) == ("exact", "c2", ["c1"])
    assert (await app.http.get("/v1/long-term-memory/c1")).status_code == 200
    done = await _post(app, "/v1/long-term-memory/compact", None, namespace="w")
    assert (done["exact_duplicates_removed"], done["kept"]) == (1, 2)
    assert "groups" not in done
    assert (await app.http.get("/v1/long-term-memory/c1")).status_code == 404


async def test_prompt_token_counts_and_hybrid_legs(app: AppClient) -> None:
    memories = [_memory("p1", "The user's dog is called Pixel.", topics=["pets"])]
    await _post(app, "/v1/long-term-memory/", {"memories": memories})
    body = {"query": "What is my dog called?", "long_term_search": {"text": "dog name"}}
    plain = await _post(app, "/v1/memory/prompt", body)
    counted = await _post(app, "/v1/memory/prompt", body, token_counts="true")
    assert counted["messages"] == plain["messages"]
    assert "token_counts" not in plain
    assert len(counted["token_counts"]) == len(plain["messages"]) == 2
    assert counted["total_tokens"] == sum(counted["token_counts"]) > 10
    hybrid = await _post(
        app, "/v1/long-term-memory/search", {"text": "Pixel dog", "search_mode": "hybrid"}
    )
    (hit,) = hybrid["memories"]
    assert (hit["semantic_rank"], hit["keyword_rank"]) == (1, 1)
    semantic = await _post(app, "/v1/long-term-memory/search", {"text": "Pixel dog"})
    assert semantic["memories"][0]["semantic_rank"] is None


async def test_bound_token_sees_only_its_tenant_in_overview_and_facets(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(auth_mode="token")) as app:
        r = app.resources
        admin, _ = await add_token(r.tokens, "admin")
        alice, _ = await add_token(r.tokens, "alice", ["a"])
        as_admin = {"authorization": f"Bearer {admin}"}
        as_alice = {"authorization": f"Bearer {alice}"}
        for ns in ("a", "b"):
            await app.http.put(f"/v1/working-memory/s-{ns}", json={"messages": []},
                               params={"namespace": ns}, headers=as_admin)  # fmt: skip
            memory = {"text": f"secret of {ns}", "namespace": ns, "topics": [f"topic-{ns}"]}
            await app.http.post("/v1/long-term-memory/", json={"memories": [memory]},
                                headers=as_admin)  # fmt: skip
        sessions = (await app.http.get("/v1/sessions", headers=as_alice)).json()
        assert [s["session_id"] for s in sessions["sessions"]] == ["s-a"]
        other = await app.http.get("/v1/sessions", params={"namespace": "b"}, headers=as_alice)
        assert other.json() == {"sessions": [], "total": 0}
        body = {"fields": ["namespace", "topics"]}
        facets = (await app.http.post("/v1/long-term-memory/facets", json=body,
                                      headers=as_alice)).json()  # fmt: skip
        assert facets["total"] == 1
        assert facets["facets"]["topics"] == [{"value": "topic-a", "count": 1}]
        assert (await app.http.get("/v1/sessions")).status_code == 401
        # Cookies carry no credentials: a cross-site form cannot act as the user.
        cookie = {"cookie": f"authorization=Bearer {admin}; token={admin}"}
        forged = await app.http.post("/v1/long-term-memory/compact", headers=cookie)
        assert forged.status_code == 401


async def test_ui_switch_and_headers(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    assert ui_enabled(make_settings(host="127.0.0.1"))
    assert not ui_enabled(make_settings(host="0.0.0.0"))
    assert ui_enabled(make_settings(host="0.0.0.0", auth_mode="token"))
    assert ui_enabled(make_settings(host="0.0.0.0", ui_enabled=True))
    assert not ui_enabled(make_settings(host="127.0.0.1", ui_enabled=False))
    async with start_app(make_settings(host="0.0.0.0")) as app:
        off = await app.http.get("/ui")
        assert off.status_code == 404
        assert "UI_ENABLED" in off.json()["detail"]
    async with start_app(make_settings(auth_mode="token")) as app:
        page = await app.http.get("/ui")  # the page itself holds no data: no token needed
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert '<script type="module" src="/ui/static/app.js">' in page.text
        script = await app.http.get("/ui/static/app.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert (await app.http.get("/ui/static/..%2Fconfig.py")).status_code == 404
        assert (await app.http.get("/ui/static/routes.py")).status_code == 404
        assert (await app.http.get("/v1/sessions")).status_code == 401
