"""The workbench with AUTH_MODE=token: it asks for a token, keeps it in this tab only, and a
token bound to tenant A sees nothing of tenant B on any page."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from agent_memory_server.services.auth import add_token
from agent_memory_server.storage.api_tokens import TokenStore
from agent_memory_server.storage.keys import Keys
from tests.browser.conftest import Server, Tab, start_server, stop_server, view_of

SECRET_B = "Bob's locker code is 7391."


async def _tokens(redis_url: str, prefix: str) -> tuple[str, str]:
    redis = Redis.from_url(redis_url)
    try:
        tokens = TokenStore(redis, Keys(prefix))
        admin, _ = await add_token(tokens, "admin")
        alice, _ = await add_token(tokens, "alice", ["a"])
        return admin, alice
    finally:
        await redis.aclose()


@pytest.fixture(scope="module")
def secured(redis_url: str, shared_data_dir: Path) -> Iterator[tuple[Server, str]]:
    server = start_server(redis_url, shared_data_dir, AUTH_MODE="token", EXTRACTION="false")
    try:
        admin, alice = asyncio.run(_tokens(redis_url, server.key_prefix))
        for ns, user, text in (("a", "alice", "Alice likes green tea."), ("b", "bob", SECRET_B)):
            memory = {"text": text, "namespace": ns, "user_id": user, "topics": [f"topic-{ns}"]}
            server.call("POST", "/v1/long-term-memory/", admin, json={"memories": [memory]})
            session = {"user_id": user, "messages": [{"role": "user", "content": text}]}
            server.call("PUT", f"/v1/working-memory/s-{ns}", admin, params={"namespace": ns},
                        json=session)  # fmt: skip
        yield server, alice
    finally:
        stop_server(server)


def _sign_in(ui: Tab, token: str, fragment: str) -> None:
    ui.page.goto(f"{ui.base}/ui/#/{fragment}")
    ui.page.wait_for_selector("#login[open]")
    ui.page.fill("#token", token)
    ui.page.press("#token", "Enter")
    ui.ready(view_of(fragment))


def test_without_a_token_nothing_is_shown_and_the_api_refuses(
    secured: tuple[Server, str], tab: Callable[..., Tab]
) -> None:
    server, _ = secured
    ui = tab(server.url)
    ui.page.goto(f"{server.url}/ui/#/sessions")
    ui.page.wait_for_selector("#login[open]")
    assert "s-a" not in ui.page.inner_text("#main")
    ui.shot("sign-in")
    for method, path in (("GET", "/v1/sessions"), ("POST", "/v1/long-term-memory/facets"),
                         ("POST", "/v1/long-term-memory/compact")):  # fmt: skip
        assert server.http.request(method, path, json={}).status_code == 401
    refused = server.http.post(
        "/v1/long-term-memory/search", json={}, headers={"cookie": "token=x"}
    )
    assert refused.status_code == 401  # cookies are never credentials


def test_token_bound_to_a_sees_nothing_of_b(
    secured: tuple[Server, str], tab: Callable[..., Tab]
) -> None:
    server, alice = secured
    ui = tab(server.url)
    page = ui.page
    _sign_in(ui, alice, "sessions")
    assert page.locator("#sessions a").all_inner_texts() == ["s-a"]
    assert alice not in page.url
    storage = page.evaluate("[JSON.stringify(localStorage), sessionStorage.getItem('ams.token')]")
    assert storage == ["{}", alice]  # this tab's session storage only
    assert page.context.cookies() == []
    ui.shot("auth-sessions-tenant-a")
    pages = [
        "sessions?namespace=b",
        "memories?view=search",
        "memories?view=search&namespace=b",
        "memories?view=timeline&user_id=bob",
        "maintenance",
        "prompt?session_id=s-b&namespace=b&query=locker+code&run=1",
        "prompt?query=locker+code&run=1",
        "session/s-b?namespace=b",
        "ops",
    ]  # a view has rendered all it fetched when it is marked ready
    for fragment in pages:
        ui.open(fragment)
        text = page.inner_text("#main")
        for secret in ("7391", "bob", "Bob", "topic-b"):
            assert secret not in text, (fragment, secret, text)
    ui.open("memories?view=search")
    page.wait_for_selector("#facets .facet")
    assert "topic-a" in page.inner_text("#facets")
    ui.open("session/s-b?namespace=b")  # another tenant's session: as if it did not exist
    assert "404" in page.inner_text("#main")
    ui.open("ops")
    assert "server-wide" in page.inner_text("#views")  # summary views: unbound tokens only
    assert "b" not in page.locator("#namespace-counts td").all_inner_texts()
    ui.shot("auth-operations-tenant-a")
    assert ui.errors == []
