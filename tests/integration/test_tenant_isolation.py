"""Adversarial: every REST route (from the app's OpenAPI) and every MCP tool (from the server's
tool list), tried by callers bound to another tenant, with the background worker drained after.

Each attacker is a token bound to a namespace, to a user, or to several namespaces; the victim
is namespace `vns`, user `vu`. An attack may name the victim's namespace, user, session and
record ids, or carry them inside its own session (memories and, with INDEX_MESSAGES,
messages). Checked: no answer carries the victim's secret or an id the attacker never sent, no
answer is a 5xx, and after every queued task ran, the victim's records, sessions and searches
are exactly as they were. A route or tool without attacks here fails the suite.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from agent_memory_server.config import Settings
from agent_memory_server.mcp.server import create_mcp_server
from agent_memory_server.services.auth import add_token
from agent_memory_server.tasks.worker import drain
from tests.conftest import AppClient
from tests.support.mcp import raw_tool_call

SECRET = "The vault code of the victim is zebra-4417."
V_NS, V_USER, V_KNOWN, V_HIDDEN = "vns", "vu", "v-known", "v-hidden"
V_SESSION, V_HIDDEN_SESSION = "vs-known", "vs-hidden"
NEVER_SENT = (SECRET, "zebra-4417", V_HIDDEN, V_HIDDEN_SESSION)
ATTACKERS: dict[str, tuple[list[str] | None, str | None]] = {
    "namespace-bound": (["ans"], None),
    "user-bound": (None, "au"),
    "several-namespaces": (["ans", "ans2"], None),
}
POLICY = {"policy": {"max_age_days": 0}}

# One request: (method, path, query params, JSON body or None).
Request = tuple[str, str, dict[str, Any], Any]


def _session_body(**extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "hello from the attacker"}], **extra}


PWNED = {"text": "pwned: the victim now trusts the attacker"}
OWN = {"namespace": "ans"}  # every attacker's own namespace (one of several for some)
CARRIED = [  # what an attacker's own session may try to carry into the victim's tenant
    {"memories": [{"id": V_KNOWN, **PWNED, **OWN}]},
    {"memories": [{**PWNED, "namespace": V_NS, "user_id": V_USER}]},
    {"memories": [{**PWNED, "namespace": V_NS}]},
    {"memories": [{**PWNED, "user_id": V_USER}]},
    {"messages": [{"id": V_KNOWN, "role": "user", "content": PWNED["text"]}]},
]
SEARCHES: list[dict[str, Any]] = [
    {"text": "vault code"},
    {"text": "vault code", "namespace": {"eq": V_NS}},
    {"text": "vault code", "user_id": {"eq": V_USER}},
    {"text": "vault code", "session_id": {"eq": V_SESSION}},
    {"text": "vault", "search_mode": "keyword", "namespace": {"any": [V_NS, "ans"]}},
    {"text": "vault code", "search_mode": "hybrid", "user_id": {"any": [V_USER]}},
    {"text": "", "namespace": {"eq": V_NS}, "limit": 100},
]
FACETS = ("namespace", "user_id", "session_id", "topics", "entities", "memory_type")


def _filters(search: dict[str, Any]) -> dict[str, Any]:
    """The filters of a search (the body of a facet count)."""
    return {k: v for k, v in search.items() if k not in ("text", "search_mode", "limit")}


NAMED = [{"namespace": V_NS}, {"user_id": V_USER}, {"namespace": V_NS, "user_id": V_USER}, {}]

ROUTE_ATTACKS: dict[str, list[Request]] = {
    "GET /v1/health": [("GET", "/v1/health", {}, None)],
    "GET /health": [("GET", "/health", {}, None)],
    "GET /v1/health/live": [("GET", "/v1/health/live", {}, None)],
    "GET /v1/health/ready": [("GET", "/v1/health/ready", {}, None)],
    "GET /metrics": [("GET", "/metrics", {}, None)],
    "GET /v1/working-memory/": [("GET", "/v1/working-memory/", p, None) for p in NAMED],
    "GET /v1/working-memory/{session_id}": [
        ("GET", f"/v1/working-memory/{V_SESSION}", p, None) for p in NAMED
    ],
    "PUT /v1/working-memory/{session_id}": [
        *[("PUT", "/v1/working-memory/att-s", OWN, _session_body(**c)) for c in CARRIED],
        ("PUT", f"/v1/working-memory/{V_SESSION}", {"namespace": V_NS}, _session_body()),
        ("PUT", f"/v1/working-memory/{V_SESSION}", {}, _session_body(namespace=V_NS)),
        ("PUT", "/v1/working-memory/att-s2", {"user_id": V_USER}, _session_body()),
    ],
    "DELETE /v1/working-memory/{session_id}": [
        ("DELETE", f"/v1/working-memory/{V_SESSION}", p, None) for p in NAMED
    ],
    "GET /sessions/": [("GET", "/sessions/", p, None) for p in ({"namespace": V_NS}, {})],
    "GET /sessions/{session_id}/memory": [
        ("GET", f"/sessions/{V_SESSION}/memory", p, None) for p in NAMED
    ],
    "POST /sessions/{session_id}/memory": [
        ("POST", "/sessions/att-s3/memory", OWN, {"messages": CARRIED[-1]["messages"]}),
        ("POST", f"/sessions/{V_SESSION}/memory", {"namespace": V_NS}, _session_body()),
        ("POST", "/sessions/att-s4/memory", {"user_id": V_USER}, _session_body()),
    ],
    "DELETE /sessions/{session_id}/memory": [
        ("DELETE", f"/sessions/{V_SESSION}/memory", p, None) for p in NAMED
    ],
    "POST /v1/long-term-memory/": [
        ("POST", "/v1/long-term-memory/", {}, {"memories": c["memories"]}) for c in CARRIED[:4]
    ],
    "POST /v1/long-term-memory/search": [
        ("POST", "/v1/long-term-memory/search", {}, s) for s in SEARCHES
    ],
    "POST /long-term-memory/search": [
        ("POST", "/long-term-memory/search", {}, s) for s in SEARCHES
    ],
    "GET /v1/long-term-memory/{memory_id}": [("GET", f"/v1/long-term-memory/{V_KNOWN}", {}, None)],
    "PATCH /v1/long-term-memory/{memory_id}": [
        ("PATCH", f"/v1/long-term-memory/{V_KNOWN}", {}, body)
        for body in ({"text": PWNED["text"]}, {"namespace": "ans"}, {"pinned": True})
    ],
    "DELETE /v1/long-term-memory": [
        ("DELETE", "/v1/long-term-memory", {"memory_ids": [V_KNOWN]}, None)
    ],
    "POST /v1/long-term-memory/forget": [
        ("POST", "/v1/long-term-memory/forget", {**p, "dry_run": dry}, POLICY)
        for p in NAMED[:3]
        for dry in (True, False)
    ],
    "POST /v1/long-term-memory/compact": [
        ("POST", "/v1/long-term-memory/compact", {**p, **dry}, None)
        for p in NAMED[:3]
        for dry in ({}, {"dry_run": "true"})
    ],
    "GET /v1/sessions": [("GET", "/v1/sessions", p, None) for p in NAMED],
    "POST /v1/long-term-memory/facets": [
        ("POST", "/v1/long-term-memory/facets", {}, {**_filters(s), "fields": list(FACETS)})
        for s in SEARCHES
    ],
    "POST /v1/long-term-memory/topics": [
        ("POST", "/v1/long-term-memory/topics", {}, p) for p in NAMED[:3]
    ],
    "POST /v1/memory/prompt": [
        ("POST", "/v1/memory/prompt", {}, body)
        for body in (
            {"query": "vault code?", "session": {"session_id": V_SESSION, "namespace": V_NS}},
            {"query": "vault code?", "session": {"session_id": V_SESSION, "user_id": V_USER}},
            {"query": "vault code?", "long_term_search": {"namespace": {"eq": V_NS}}},
            {"query": "vault code?", "long_term_search": {"user_id": {"eq": V_USER}}},
            {"query": "vault code?"},
        )
    ],
    "GET /v1/summary-views": [("GET", "/v1/summary-views", {}, None)],
    "POST /v1/summary-views": [
        ("POST", "/v1/summary-views", {}, {"group_by": ["user_id"], "filters": {}})
    ],
    "GET /v1/summary-views/{view_id}": [("GET", "/v1/summary-views/{view}", {}, None)],
    "DELETE /v1/summary-views/{view_id}": [("DELETE", "/v1/summary-views/{view}", {}, None)],
    "POST /v1/summary-views/{view_id}/partitions/run": [
        ("POST", "/v1/summary-views/{view}/partitions/run", {}, {"group": {"user_id": V_USER}})
    ],
    "GET /v1/summary-views/{view_id}/partitions": [
        ("GET", "/v1/summary-views/{view}/partitions", {"user_id": V_USER}, None)
    ],
    "POST /v1/summary-views/{view_id}/run": [
        ("POST", "/v1/summary-views/{view}/run", {}, {"force": True})
    ],
    "GET /v1/tasks/{task_id}": [("GET", "/v1/tasks/{task}", {}, None)],
    "DELETE /v1/users/{user_id}": [
        ("DELETE", f"/v1/users/{V_USER}", p, None) for p in ({"namespace": V_NS}, {})
    ],
}

TOOL_ATTACKS: dict[str, list[dict[str, Any]]] = {
    "create_long_term_memories": [{"memories": c["memories"]} for c in CARRIED[:4]],
    "search_long_term_memory": SEARCHES,
    "search_memory": SEARCHES[:3],
    "memory_prompt": [
        {"query": "vault code?", "session_id": V_SESSION, "namespace": V_NS},
        {"query": "vault code?", "session_id": V_SESSION, "user_id": V_USER},
        {"query": "vault code?", "long_term_search": {"namespace": {"eq": V_NS}}},
        {"query": "vault code?", "user_id": V_USER},
        {"query": "vault code?"},
    ],
    "get_working_memory": [
        {"session_id": V_SESSION, **p} for p in ({"namespace": V_NS}, {"user_id": V_USER}, {})
    ],
    "set_working_memory": [
        *[{"session_id": "att-m", **OWN, **c} for c in CARRIED],
        {"session_id": V_SESSION, "namespace": V_NS, "messages": []},
        {"session_id": "att-m2", "user_id": V_USER},
    ],
    "get_long_term_memory": [{"memory_id": V_KNOWN}],
    "edit_long_term_memory": [
        {"memory_id": V_KNOWN, "text": PWNED["text"]},
        {"memory_id": V_KNOWN, "namespace": "ans"},
    ],
    "delete_long_term_memories": [{"memory_ids": [V_KNOWN]}],
    "compact_long_term_memories": [p for p in NAMED[:3]],
    "get_current_datetime": [{}],
}


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _victim_state(app: AppClient, admin: dict[str, str]) -> dict[str, Any]:
    """Everything of the victim's tenant, as an unbound admin reads it (access times left out:
    a search by anyone records an access of what it returns)."""
    volatile = ("last_accessed", "access_count")

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k not in volatile and k != "score"}

    state: dict[str, Any] = {}
    for memory_id in (V_KNOWN, V_HIDDEN):
        got = await app.http.get(f"/v1/long-term-memory/{memory_id}", headers=admin)
        state[memory_id] = clean(got.json()) if got.status_code == 200 else got.status_code
    # The victim's tenant is namespace vns AND user vu: each attacker may legitimately write
    # into one of the two (its own namespace as user vu, or vns as its own user).
    scope = {"namespace": {"eq": V_NS}, "user_id": {"eq": V_USER}}
    found = await app.http.post(
        "/v1/long-term-memory/search", headers=admin, json={"text": "", "limit": 100, **scope}
    )
    state["records"] = sorted(
        json.dumps(clean(m), sort_keys=True) for m in found.json()["memories"]
    )
    listed = await app.http.get(
        "/v1/working-memory/", params={"namespace": V_NS, "user_id": V_USER}, headers=admin
    )
    state["sessions"] = listed.json()
    for session_id in (V_SESSION, V_HIDDEN_SESSION):
        got = await app.http.get(
            f"/v1/working-memory/{session_id}", params={"namespace": V_NS}, headers=admin
        )
        body = got.json()
        body.pop("last_accessed", None)
        state[session_id] = body
    return state


async def _seed(app: AppClient, admin: dict[str, str]) -> dict[str, str]:
    """The victim's data, and a summary view and task (server-wide objects)."""
    records = [
        {"id": V_KNOWN, "text": SECRET, "namespace": V_NS, "user_id": V_USER},
        {"id": V_HIDDEN, "text": f"Hidden: {SECRET}", "namespace": V_NS, "user_id": V_USER},
    ]
    body = {"memories": records, "deduplicate": False}
    assert (await app.http.post("/v1/long-term-memory/", json=body, headers=admin)).is_success
    for session_id in (V_SESSION, V_HIDDEN_SESSION):
        put = await app.http.put(
            f"/v1/working-memory/{session_id}", params={"namespace": V_NS}, headers=admin,
            json={"messages": [{"role": "user", "content": SECRET}], "user_id": V_USER},
        )  # fmt: skip
        assert put.status_code == 200, put.text
    view = await app.http.post(
        "/v1/summary-views", headers=admin, json={"group_by": ["user_id"], "filters": {}}
    )
    assert view.status_code == 200, view.text
    view_id = view.json()["id"]
    task = await app.http.post(f"/v1/summary-views/{view_id}/run", headers=admin, json={})
    assert task.status_code == 200, task.text
    await drain(app.resources)
    return {"view": view_id, "task": task.json()["id"]}


def _leaks(text: str) -> list[str]:
    return [secret for secret in NEVER_SENT if secret in text]


@pytest.fixture
def isolation_settings(make_settings: Callable[..., Settings]) -> Settings:
    settings: Settings = make_settings(auth_mode="token", index_messages=True)
    return settings


async def test_every_route_and_tool_is_attacked(
    isolation_settings: Settings, start_app: Any
) -> None:
    """The attack tables cover exactly the app's routes and the MCP server's tools."""
    async with start_app(isolation_settings) as app:
        routes = {
            f"{method.upper()} {path}"
            for path, operations in app.app.openapi()["paths"].items()
            for method in operations
        }
        assert routes == set(ROUTE_ATTACKS), (
            f"routes without attacks: {sorted(routes - set(ROUTE_ATTACKS))}; "
            f"attacks on no route: {sorted(set(ROUTE_ATTACKS) - routes)}"
        )
        tools = {tool.name for tool in await create_mcp_server(isolation_settings).list_tools()}
        assert tools == set(TOOL_ATTACKS), sorted(tools ^ set(TOOL_ATTACKS))


@pytest.mark.parametrize("attacker", sorted(ATTACKERS))
async def test_no_caller_reaches_another_tenant_by_any_route_or_tool(
    isolation_settings: Settings, start_app: Any, attacker: str
) -> None:
    async with start_app(isolation_settings) as app:
        r = app.resources
        admin_token, _ = await add_token(r.tokens, "admin")
        namespaces, user_id = ATTACKERS[attacker]
        token, _ = await add_token(r.tokens, attacker, namespaces, user_id=user_id)
        admin, h = _auth(admin_token), _auth(token)
        objects = await _seed(app, admin)
        before = await _victim_state(app, admin)
        assert SECRET in json.dumps(before)  # the snapshot sees the victim's data

        answers: list[tuple[str, int, str]] = []
        for route, attacks in ROUTE_ATTACKS.items():
            for method, path, params, body in attacks:
                response = await app.http.request(
                    method, path.format(**objects), params=params, json=body, headers=h
                )
                answers.append((f"{route} {params} {body}", response.status_code, response.text))
        for tool, calls in TOOL_ATTACKS.items():
            for arguments in calls:
                for mcp_path in ("/mcp", f"/{V_NS}/mcp"):  # the victim's namespace as default
                    status, frame = await raw_tool_call(
                        app.http, tool, json.dumps(arguments), path=mcp_path, headers=h
                    )
                    answers.append((f"{mcp_path} {tool} {arguments}", status, json.dumps(frame)))
        await drain(app.resources)  # promotion, indexing, enrichment, merges: all of it ran

        for what, status, text in answers:
            not_ready = what.startswith("GET /v1/health/ready") and status == 503  # no worker
            assert status < 500 or not_ready, (what, status, text)
            assert not _leaks(text), (what, _leaks(text), text)
        after = await _victim_state(app, admin)
        assert after == before


async def test_a_session_carrying_another_tenants_record_is_refused_whole(
    isolation_settings: Settings, start_app: Any
) -> None:
    """The PUT is refused with 403 before anything is stored: the attacker's session is not
    written either, and the refusal does not name the record's owner."""
    async with start_app(isolation_settings) as app:
        r = app.resources
        admin_token, _ = await add_token(r.tokens, "admin")
        token, _ = await add_token(r.tokens, "att", ["ans"], user_id=None)
        await _seed(app, _auth(admin_token))
        for carried in [c for c in CARRIED if c is not CARRIED[3]]:  # [3]: vu in its own ns
            put = await app.http.put(
                "/v1/working-memory/att-s", json=_session_body(**carried), headers=_auth(token)
            )
            assert put.status_code == 403, (carried, put.text)
            assert "vu'" not in put.json()["detail"] or "user_id" in json.dumps(carried)
            missing = await app.http.get("/v1/working-memory/att-s", headers=_auth(token))
            assert missing.status_code == 404
        ok = await app.http.put(
            "/v1/working-memory/att-s", headers=_auth(token),
            json=_session_body(memories=[{"id": "mine", "text": "The attacker likes tea."}]),
        )  # fmt: skip
        assert ok.status_code == 200, ok.text
        await drain(app.resources)
        mine = await app.http.get("/v1/long-term-memory/mine", headers=_auth(token))
        assert mine.status_code == 200 and mine.json()["namespace"] == "ans"


async def test_background_work_runs_as_the_caller_that_queued_it(
    isolation_settings: Settings, start_app: Any
) -> None:
    """A record whose id another tenant took between the session write and its promotion is
    left unpromoted: the task re-checks the tenant rules as the caller that wrote the session."""
    async with start_app(isolation_settings) as app:
        r = app.resources
        admin_token, _ = await add_token(r.tokens, "admin")
        token, _ = await add_token(r.tokens, "att", ["ans"], user_id=None)
        admin, h = _auth(admin_token), _auth(token)
        put = await app.http.put(
            "/v1/working-memory/att-s", headers=h,
            json=_session_body(memories=[{"id": "raced", **PWNED}, {"id": "fine", **PWNED}]),
        )  # fmt: skip
        assert put.status_code == 200, put.text
        taken = {"id": "raced", "text": SECRET, "namespace": V_NS, "user_id": V_USER}
        stored = await app.http.post(
            "/v1/long-term-memory/", json={"memories": [taken]}, headers=admin
        )
        assert stored.status_code == 200
        await drain(app.resources)
        raced = await app.http.get("/v1/long-term-memory/raced", headers=admin)
        assert raced.json()["text"] == SECRET and raced.json()["namespace"] == V_NS
        fine = await app.http.get("/v1/long-term-memory/fine", headers=h)
        assert fine.status_code == 200
        session = (await app.http.get("/v1/working-memory/att-s", headers=h)).json()
        persisted = {m["id"]: m["persisted_at"] for m in session["memories"]}
        assert persisted["fine"] is not None and persisted["raced"] is None
