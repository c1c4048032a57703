"""Auth and tenant scoping over REST: tokens, JWTs, and one tenant refused another's data."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from agent_memory_server.config import Settings
from agent_memory_server.services.auth import add_token, exposure_warning, list_tokens
from tests.conftest import AppClient
from tests.support.hermetic import CHILD_CWD
from tests.support.jwks import Issuer

SECRET_B = "Bob's locker code is 4417."


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _tokens(app: AppClient) -> tuple[str, str]:
    """An unbound admin token and one bound to namespace a / user alice."""
    r = app.resources
    admin, _ = await add_token(r.tokens, "admin")
    alice, _ = await add_token(r.tokens, "alice", ["a"], user_id="alice")
    return admin, alice


async def _seed(app: AppClient, admin: str) -> None:
    memories = [
        {"id": "a1", "text": "Alice likes green tea.", "namespace": "a", "user_id": "alice"},
        {"id": "b1", "text": SECRET_B, "namespace": "b", "user_id": "bob"},
    ]
    body = {"memories": memories, "deduplicate": False}
    response = await app.http.post("/v1/long-term-memory/", json=body, headers=_auth(admin))
    assert response.status_code == 200, response.text
    for ns, user, text in (("a", "alice", "Hello from Alice"), ("b", "bob", SECRET_B)):
        session = {"messages": [{"role": "user", "content": text}], "user_id": user}
        put = await app.http.put(
            f"/v1/working-memory/s-{ns}", json=session, params={"namespace": ns},
            headers=_auth(admin),
        )  # fmt: skip
        assert put.status_code == 200, put.text


async def test_no_token_is_401_and_health_stays_open(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(auth_mode="token")) as app:
        for method, path in [
            ("POST", "/v1/long-term-memory/search"), ("GET", "/v1/working-memory/x"),
            ("GET", "/v1/long-term-memory/a1"), ("POST", "/v1/memory/prompt"),
        ]:  # fmt: skip
            response = await app.http.request(method, path, json={})
            assert response.status_code == 401, (path, response.text)
            assert "Authorization: Bearer" in response.json()["detail"]
            assert response.headers["www-authenticate"] == "Bearer"
        bad = await app.http.get("/v1/working-memory/x", headers=_auth("ams_nope"))
        assert bad.status_code == 401 and "Unknown or expired token" in bad.text
        assert (await app.http.get("/v1/health")).status_code == 200


async def test_a_tenant_cannot_reach_another_tenants_data(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(auth_mode="token")) as app:
        admin, alice = await _tokens(app)
        await _seed(app, admin)
        h = _auth(alice)
        # (status, whether the caller named the other tenant itself): another tenant's object
        # is answered as a missing one (404), and a refusal never names an owner the caller
        # did not name.
        attempts = {
            "get record": (404, await app.http.get("/v1/long-term-memory/b1", headers=h)),
            "edit record": (404, await app.http.patch(
                "/v1/long-term-memory/b1", json={"text": "hacked"}, headers=h
            )),
            "overwrite record by id": (403, await app.http.post(
                "/v1/long-term-memory/",
                json={"memories": [{"id": "b1", "text": "mine now"}]}, headers=h,
            )),
            "write into b": (403, await app.http.post(
                "/v1/long-term-memory/",
                json={"memories": [{"text": "x", "namespace": "b"}]}, headers=h,
            )),
            "read session": (404, await app.http.get(
                "/v1/working-memory/s-b", params={"namespace": "b"}, headers=h
            )),
            "replace session": (403, await app.http.put(
                "/v1/working-memory/s-b", params={"namespace": "b"},
                json={"messages": [], "user_id": "bob"}, headers=h,
            )),
            "delete session": (404, await app.http.delete(
                "/v1/working-memory/s-b", params={"namespace": "b"}, headers=h
            )),
            "prompt with b's session": (200, await app.http.post(  # as with a missing session
                "/v1/memory/prompt", headers=h,
                json={"query": "code?", "session": {"session_id": "s-b", "namespace": "b"}},
            )),
            "compact b": (403, await app.http.post(
                "/v1/long-term-memory/compact", params={"namespace": "b"}, headers=h
            )),
            "forget b": (403, await app.http.post(
                "/v1/long-term-memory/forget", params={"namespace": "b"},
                json={"policy": {"max_age_days": 0}}, headers=h,
            )),
            "summary views": (403, await app.http.get("/v1/summary-views", headers=h)),
        }  # fmt: skip
        for what, (status, response) in attempts.items():
            assert response.status_code == status, (what, response.text)
            assert "4417" not in response.text, what
            if what != "replace session":  # the one that named bob itself
                assert "bob" not in response.text, (what, response.text)
        missing = await app.http.get("/v1/long-term-memory/no-such-id", headers=h)
        hidden = await app.http.get("/v1/long-term-memory/b1", headers=h)
        assert missing.json()["detail"].replace("no-such-id", "b1") == hidden.json()["detail"]
        # A delete of another tenant's id skips it, as it skips an unknown id.
        skipped = await app.http.delete(
            "/v1/long-term-memory", params={"memory_ids": ["b1"]}, headers=h
        )
        assert skipped.status_code == 200 and "deleted 0" in skipped.text, skipped.text
        # Searches and listings are confined: another tenant's filter finds nothing.
        for body in [
            {"text": "locker code", "namespace": {"eq": "b"}}, {"text": "locker code"},
            {"text": "", "user_id": {"eq": "bob"}}, {"text": "locker", "search_mode": "keyword"},
        ]:  # fmt: skip
            found = await app.http.post("/v1/long-term-memory/search", json=body, headers=h)
            assert found.status_code == 200, found.text
            assert "4417" not in found.text
            assert all(m["namespace"] == "a" for m in found.json()["memories"]), body
        prompt = await app.http.post(
            "/v1/memory/prompt", headers=h,
            json={"query": "locker code", "long_term_search": {"namespace": {"eq": "b"}}},
        )  # fmt: skip
        assert prompt.status_code == 200 and "4417" not in prompt.text
        sessions = await app.http.get("/v1/working-memory/", headers=h)
        assert sessions.json()["sessions"] == ["s-a"]
        other = await app.http.get("/v1/working-memory/", params={"namespace": "b"}, headers=h)
        assert other.json() == {"sessions": [], "total": 0}
        # Nothing of b changed.
        admin_h = _auth(admin)
        b1 = (await app.http.get("/v1/long-term-memory/b1", headers=admin_h)).json()
        assert b1["text"] == SECRET_B and b1["namespace"] == "b"
        s_b = await app.http.get(
            "/v1/working-memory/s-b", params={"namespace": "b"}, headers=admin_h
        )
        assert s_b.json()["messages"][0]["content"] == SECRET_B
        assert (await app.http.get("/v1/long-term-memory/a1", headers=admin_h)).status_code == 200


async def test_a_bound_token_works_on_its_own_tenant(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(auth_mode="token")) as app:
        admin, alice = await _tokens(app)
        await _seed(app, admin)
        h = _auth(alice)
        # A write that names no tenant lands in the token's own.
        new = {"memories": [{"id": "a2", "text": "Alice runs on Sundays."}]}
        assert (
            await app.http.post("/v1/long-term-memory/", json=new, headers=h)
        ).status_code == 200
        a2 = (await app.http.get("/v1/long-term-memory/a2", headers=h)).json()
        assert (a2["namespace"], a2["user_id"]) == ("a", "alice")
        edit = await app.http.patch("/v1/long-term-memory/a2", json={"pinned": True}, headers=h)
        assert edit.status_code == 200
        moved = await app.http.patch("/v1/long-term-memory/a2", json={"namespace": "b"}, headers=h)
        assert moved.status_code == 403  # not into another tenant either
        session = await app.http.get("/v1/working-memory/s-a", headers=h)
        assert session.status_code == 200 and session.json()["namespace"] == "a"
        found = await app.http.post("/v1/long-term-memory/search", json={"text": "tea"}, headers=h)
        assert [m["id"] for m in found.json()["memories"]][:1] == ["a1"]
        gone = await app.http.delete(
            "/v1/long-term-memory", params={"memory_ids": ["a2"]}, headers=h
        )
        assert gone.status_code == 200


async def test_expired_and_removed_tokens_are_refused(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(auth_mode="token")) as app:
        r = app.resources
        brief, record = await add_token(r.tokens, "brief", expires_in_days=1 / 86400)
        assert record.expires_at is not None and record.expires_at - record.created_at == 1
        stored = await r.redis.keys(f"{r.keys.prefix}:auth_token:*")
        assert brief.encode() not in b"".join(stored)  # only the digest names the key
        ok = await app.http.post("/v1/long-term-memory/search", json={}, headers=_auth(brief))
        assert ok.status_code == 200
        await asyncio.sleep(1.1)
        late = await app.http.post("/v1/long-term-memory/search", json={}, headers=_auth(brief))
        assert late.status_code == 401
        assert [t.name for t in await list_tokens(r.tokens)] == []


def test_token_cli_add_list_remove(redis_url: str) -> None:
    env = {**os.environ, "REDIS_URL": redis_url, "KEY_PREFIX": f"tok{uuid.uuid4().hex[:8]}"}
    cli = [sys.executable, "-m", "agent_memory_server", "token"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cli, *args],
            cwd=CHILD_CWD,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    added = run("add", "--name", "ci", "--namespace", "a", "--user-id", "alice")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("ams_") and len(token) > 40
    listed = run("list")
    assert '"name": "ci"' in listed.stdout and '"namespaces": ["a"]' in listed.stdout
    assert token not in listed.stdout
    token_id = listed.stdout.split('"id": "')[1].split('"')[0]
    assert run("remove", token_id).returncode == 0
    assert run("list").stdout.strip() == ""
    missing = run("show", token_id)
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_auth_off_beyond_loopback_warns(make_settings: Callable[..., Settings]) -> None:
    off = make_settings()
    assert exposure_warning(off, "127.0.0.1") is None and exposure_warning(off, "::1") is None
    warning = exposure_warning(off, "0.0.0.0")
    assert warning is not None and "AUTH IS OFF" in warning
    assert exposure_warning(make_settings(auth_mode="token"), "0.0.0.0") is None


async def test_jwt_bound_by_claims(make_settings: Callable[..., Settings], start_app: Any) -> None:
    with Issuer() as issuer:
        settings = make_settings(
            auth_mode="jwt", auth_jwks_url=issuer.url, auth_jwt_issuer="test-issuer",
            auth_jwt_audience="memory",
        )  # fmt: skip
        async with start_app(settings) as app:
            admin = issuer.token(sub="ops")
            await _seed(app, admin)
            alice = issuer.token(sub="alice-app", namespaces=["a"], user_id="alice")
            mine = await app.http.get("/v1/long-term-memory/a1", headers=_auth(alice))
            assert mine.status_code == 200
            theirs = await app.http.get("/v1/long-term-memory/b1", headers=_auth(alice))
            assert theirs.status_code == 404 and "4417" not in theirs.text
            forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            refused = {
                "forged": issuer.token(key=forged_key, sub="x"),
                "expired": issuer.token(sub="x", exp=time.time() - 10),
                "wrong audience": issuer.token(sub="x", aud="other"),
                "wrong issuer": issuer.token(sub="x", iss="evil"),
                "unknown key id": issuer.token(sub="x", kid="other-key"),
            }
            for what, token in refused.items():
                response = await app.http.get("/v1/long-term-memory/a1", headers=_auth(token))
                assert response.status_code == 401, (what, response.text)
                assert response.json()["detail"].startswith(("Invalid token", "Cannot fetch")), what


@pytest.mark.parametrize("claim", [[], 7])
async def test_jwt_with_a_malformed_namespaces_claim_is_refused(
    make_settings: Callable[..., Settings], start_app: Any, claim: Any
) -> None:
    with Issuer() as issuer:
        settings = make_settings(auth_mode="jwt", auth_jwks_url=issuer.url)
        async with start_app(settings) as app:
            token = issuer.token(sub="x", namespaces=claim)
            response = await app.http.get("/v1/long-term-memory/a1", headers=_auth(token))
            assert response.status_code == 401 and "namespaces claim" in response.text
