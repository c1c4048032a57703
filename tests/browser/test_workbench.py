"""The workbench in a real browser against a real server with real data (auth off, loopback):
each page renders and its main action works through the API."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import Server, Tab, start_server, stop_server

DAY = 86_400
T0 = 1_767_000_000  # 2025-12-29
MEMORIES = [
    ("m-hike", "Ana loves hiking in the Dolomites every September.", ["travel", "sport"],
     ["Ana", "Dolomites"], 0),
    ("m-tea", "Ana drinks green tea, never coffee.", ["food"], ["Ana"], 1),
    ("m-dog", "Ana's dog is a beagle called Pixel.", ["pets"], ["Ana", "Pixel"], 2),
    ("m-job", "Ana works as a nurse in Lisbon.", ["work"], ["Ana", "Lisbon"], 2),
    ("m-edit", "Ana's favourite colour is blue.", ["preferences"], ["Ana"], 3),
    ("m-gone", "Ana once owned a yellow car.", ["travel"], ["Ana"], 4),
]  # fmt: skip


@pytest.fixture(scope="module")
def server(redis_url: str, shared_data_dir: Path) -> Iterator[Server]:
    running = start_server(redis_url, shared_data_dir)
    try:
        _seed(running)
        yield running
    finally:
        stop_server(running)


def _seed(server: Server) -> None:
    records = [
        {"id": i, "text": text, "namespace": "demo", "user_id": "ana", "topics": topics,
         "entities": entities, "created_at": T0 + day * DAY}
        for i, text, topics, entities, day in MEMORIES
    ]  # fmt: skip
    dups = [
        {"id": f"dup-{n}", "text": "The user prefers window seats.", "namespace": "dups",
         "created_at": T0 + n}
        for n in range(3)
    ]  # fmt: skip
    server.call("POST", "/v1/long-term-memory/", json={"memories": records + dups,
                                                       "deduplicate": False})  # fmt: skip
    trip = {
        "user_id": "ana", "ttl_seconds": 3600, "data": {"plan": "Dolomites in September"},
        "messages": [
            {"role": "user", "content": "I want to plan a hiking trip for next September."},
            {"role": "assistant", "content": "Great! The Dolomites are lovely then."},
            {"role": "user", "content": "Book a hut near Cortina, please."},
        ],
    }  # fmt: skip
    server.call("PUT", "/v1/working-memory/trip", params={"namespace": "demo",
                "context_window_max": 1000}, json=trip)  # fmt: skip
    doomed = {"user_id": "ana", "messages": [{"role": "user", "content": "Delete me."}]}
    server.call("PUT", "/v1/working-memory/doomed", params={"namespace": "demo"}, json=doomed)
    deadline = time.monotonic() + 90  # the embedded worker extracts from the sessions
    while time.monotonic() < deadline:
        listed = server.call("GET", "/v1/sessions")["sessions"]
        if all((s["extraction_status"] or {}).get("state") == "done" for s in listed):
            return
        time.sleep(0.3)
    raise AssertionError(f"extraction did not finish: {listed}")


@pytest.fixture
def ui(server: Server, tab: Callable[..., Tab]) -> Iterator[Tab]:
    opened = tab(server.url)
    yield opened
    assert opened.errors == [], opened.errors  # no script error, no CSP violation


def test_sessions_list_and_session_page(server: Server, ui: Tab) -> None:
    page = ui.open("sessions")
    row = page.locator("#sessions tr", has_text="trip")
    assert "demo" in row.inner_text()
    meter = row.locator("[role=meter]")
    assert meter.get_attribute("aria-valuemax") == "1000"
    assert int(meter.get_attribute("aria-valuenow") or 0) > 20
    assert "done" in row.inner_text()  # extraction state
    ui.shot("sessions")
    page.fill("#f-namespace", "nowhere")
    page.press("#f-namespace", "Enter")  # the keyboard submits the filter
    page.wait_for_selector("p#sessions")
    assert "No sessions" in page.inner_text("#main")
    ui.open("sessions?namespace=demo")
    page.click("#sessions a:text-is('trip')")
    ui.ready("session")
    messages = page.locator("#messages li")
    assert messages.count() == 3
    assert "Book a hut near Cortina" in messages.nth(2).inner_text()
    text = page.inner_text("#main")
    assert "Dolomites in September" in text  # data
    assert "1 h" in text or "60 min" in text  # TTL
    ui.shot("session")


def test_delete_session(server: Server, ui: Tab) -> None:
    page = ui.open("session/doomed?namespace=demo")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Delete session")
    ui.ready("sessions")
    response = server.http.get("/v1/working-memory/doomed", params={"namespace": "demo"})
    assert response.status_code == 404


def test_search_in_each_mode_with_facets(server: Server, ui: Tab) -> None:
    page = ui.open("memories")
    page.fill("#f-text", "which dog does Ana have")
    page.fill("#f-user_id", "ana")
    page.press("#f-text", "Enter")
    ui.ready("memories")
    page.wait_for_selector("#result-list")
    first = page.locator("#result-list > li").first
    assert first.get_attribute("data-id") == "m-dog"
    assert "semantic score" in first.inner_text()
    page.wait_for_selector("#facets .facet")
    shown = page.locator("#facets .facet", has_text="Topics").locator("li").all_inner_texts()
    counts = server.call(
        "POST",
        "/v1/long-term-memory/facets",
        json={"user_id": {"eq": "ana"}, "fields": ["topics"], "limit": 15},
    )["facets"]["topics"]
    assert shown == [f"{c['value']}\n{c['count']}" for c in counts]
    assert {"value": "pets", "count": 1} in counts
    page.select_option("#f-search_mode", "hybrid")
    page.fill("#f-text", "beagle Pixel")
    page.click("button:text-is('Search')")
    page.wait_for_selector("#result-list li .legs")
    hit = page.locator("#result-list > li").first
    assert hit.get_attribute("data-id") == "m-dog"
    assert "semantic #1 + keyword #1" in hit.inner_text()
    ui.shot("memories-search")
    page.select_option("#f-search_mode", "keyword")
    page.fill("#f-text", "Lisbon")
    page.fill("#f-topics", "work")
    page.click("button:text-is('Search')")
    page.wait_for_selector("#result-list li .score >> text=keyword score")
    assert page.locator("#result-list > li").count() == 1


def test_timeline_of_a_user(server: Server, ui: Tab) -> None:
    page = ui.open("memories?user_id=ana&view=timeline")
    page.wait_for_selector("#timeline")
    days = page.locator("#timeline > li .day").all_inner_texts()
    listing = server.call("POST", "/v1/long-term-memory/search",
                          json={"user_id": {"eq": "ana"}, "limit": 100})["memories"]  # fmt: skip
    per_day = Counter(m["created_at"][:10] for m in listing)
    assert days == [f"{day}\n{n}" for day, n in sorted(per_day.items(), reverse=True)]
    assert days[-4:] == ["2026-01-01\n1", "2025-12-31\n2", "2025-12-30\n1", "2025-12-29\n1"]
    ui.shot("memories-timeline")


def test_edit_pin_and_delete_a_memory(server: Server, ui: Tab) -> None:
    page = ui.open("memory/m-edit")
    page.fill("#f-text", "Ana's favourite colour is green.")
    page.fill("#f-topics", "preferences, colours")
    page.check("#f-pinned")
    ui.shot("memory-edit")
    page.click("button:text-is('Save')")
    page.wait_for_selector("#record-status:has-text('Saved')")
    stored = server.call("GET", "/v1/long-term-memory/m-edit")
    assert stored["text"] == "Ana's favourite colour is green."
    assert stored["topics"] == ["preferences", "colours"]
    assert stored["pinned"] is True
    ui.open("memory/m-gone")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-record")
    page.wait_for_selector("#record-status:has-text('deleted')")
    assert server.http.get("/v1/long-term-memory/m-gone").status_code == 404


def test_prompt_preview_equals_the_api(server: Server, ui: Tab) -> None:
    page = ui.open("prompt?session_id=trip&namespace=demo")
    page.fill("#f-query", "Where should I go hiking?")
    page.click("button:text-is('Preview')")
    page.wait_for_selector("#prompt-messages")
    shown = [
        (item.get_attribute("data-role"), item.locator(".text").inner_text())
        for item in page.locator("#prompt-messages > li").all()
    ]
    body = {"query": "Where should I go hiking?", "long_term_search": True,
            "session": {"session_id": "trip", "namespace": "demo"}}  # fmt: skip
    answer = server.call("POST", "/v1/memory/prompt", json=body)
    assert shown == [(m["role"], m["content"]["text"]) for m in answer["messages"]]
    assert any("Dolomites" in text for _, text in shown)
    counts = page.locator("#prompt-messages .meta").all_inner_texts()
    assert all(c.endswith("tokens") for c in counts)
    ui.shot("prompt")


def test_compaction_and_forgetting_dry_run_then_apply(server: Server, ui: Tab) -> None:
    page = ui.open("maintenance")
    page.fill("#f-c_namespace", "dups")
    page.click("#compact-form button:text-is('Dry run')")
    page.wait_for_selector("#compact-apply")
    assert "Would remove 2 exact copies" in page.inner_text("#compact-out")
    assert len(server.call("POST", "/v1/long-term-memory/search",
                           json={"namespace": {"eq": "dups"}})["memories"]) == 3  # fmt: skip
    ui.shot("maintenance-dry-run")
    page.click("#compact-apply")
    page.wait_for_selector("#compact-out:has-text('Done')")
    left = server.call("POST", "/v1/long-term-memory/search", json={"namespace": {"eq": "dups"}})
    assert [m["id"] for m in left["memories"]] == ["dup-2"]
    page.fill("#f-f_namespace", "demo")
    page.fill("#f-f_user_id", "ana")
    page.fill("#f-budget", "3")
    page.click("#forget-form button:text-is('Dry run')")
    page.wait_for_selector("#forget-apply")
    would = page.inner_text("#forget-out")
    assert "Would forget" in would
    before = server.call("POST", "/v1/long-term-memory/search",
                         json={"namespace": {"eq": "demo"}, "limit": 100})["total"]  # fmt: skip
    planned = int(would.split("Would forget ")[1].split(" ")[0])
    assert planned >= before - 4  # keeps 3, and the pinned record (pinned in a test above)
    page.click("#forget-apply")
    page.wait_for_selector("#forget-out:has-text('Done')")
    after = server.call("POST", "/v1/long-term-memory/search",
                        json={"namespace": {"eq": "demo"}, "limit": 100})["total"]  # fmt: skip
    assert before - after == planned


def test_operations(server: Server, ui: Tab) -> None:
    page = ui.open("ops")
    assert "ready" in page.inner_text("#health")
    assert "demo" in page.inner_text("#namespace-counts")
    latency = page.inner_text("#request-latency")
    assert "/v1/long-term-memory/search" in latency
    page.fill("#view-form #f-name", "per user")
    page.click("button:text-is('Create view')")
    ui.ready("ops")
    page.wait_for_selector("#views td:text-is('per user')")
    page.click("#views button:text-is('Run')")
    ui.ready("ops")
    page.wait_for_selector("#tasks .state")
    ui.shot("operations")


def test_narrow_screen_and_headers(server: Server, tab: Callable[..., Tab]) -> None:
    narrow = tab(server.url, width=390)
    page = narrow.open("sessions")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    narrow.shot("sessions-390")
    narrow.open("memories?text=tea&view=search")
    page.wait_for_selector("#result-list")
    narrow.shot("memories-390")
    response = server.http.get("/ui/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert narrow.errors == []
