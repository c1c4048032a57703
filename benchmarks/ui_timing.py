"""Workbench (/ui) timings with 10,000 memories: first paint and search-to-results.

Starts an embedded Redis and a real `agent-memory api` (benchmarks/harness.py), loads N
memories (with topics and entities, over 20 users and 5 namespaces) and 200 sessions, then
drives Debian's headless chromium with Playwright:

- first paint: a fresh browser context (empty cache) opens each page; reported are the
  browser's first-contentful-paint and the time until the view has rendered its data (the
  page marks <body data-ready>), both from the start of navigation;
- search-to-results: on the memories page, from pressing Enter in the search box to the result
  list in the page (driver round trips included: an upper bound), per mode, and to the whole
  view (results and facet counts over every matching memory).

    uv run python -m benchmarks.ui_timing [--records 10000] [--repeats 7] [--queries 15]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import time

import httpx
from playwright.sync_api import Page, sync_playwright

from benchmarks.harness import running_server

WORDS = (  # noqa: SIM905
    "alice bob carol dave paris london tokyo garden cello ramen coffee meeting project report "
    "budget flight hotel doctor dentist birthday gift dog cat piano running yoga book movie "
    "concert sister brother mother father school exam recipe pasta salad bike train museum"
).split()
TOPICS = [f"topic{i}" for i in range(30)]
PLACES = ["Paris", "London", "Tokyo", "Lisbon", "Oslo", "Rome", "Cairo", "Lima"]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."


def load(url: str, records: int, rng: random.Random) -> float:
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=300) as http:
        for start in range(0, records, 500):
            batch = [
                {"id": f"m{i}", "text": _sentence(rng), "namespace": f"ns{i % 5}",
                 "user_id": f"user{i % 20}", "topics": rng.sample(TOPICS, 2),
                 "entities": rng.sample(PLACES, 1),
                 "created_at": 1_700_000_000 + i * 600}
                for i in range(start, min(records, start + 500))
            ]  # fmt: skip
            body = {"memories": batch, "deduplicate": False}
            http.post("/v1/long-term-memory/", json=body).raise_for_status()
        for i in range(200):
            messages = [{"role": "user", "content": _sentence(rng)} for _ in range(6)]
            params = {"namespace": f"ns{i % 5}", "context_window_max": 4000}
            body = {"user_id": f"user{i % 20}", "messages": messages}
            http.put(f"/v1/working-memory/s{i}", params=params, json=body).raise_for_status()
    return time.perf_counter() - started


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms  max {ordered[-1]:7.1f} ms"
    )


def first_paint(page: Page, url: str) -> tuple[float, float]:
    page.goto(url)
    page.wait_for_selector("body[data-ready]")
    fcp, ready = page.evaluate(  # both from the start of navigation, stamped by the browser
        """() => [performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
                  performance.getEntriesByType('mark').find(m => m.name.startsWith('ready:'))
                    ?.startTime ?? NaN]"""
    )
    return float(fcp), float(ready)


def search(page: Page, text: str, mode: str) -> tuple[float, float]:
    page.fill("#f-text", text)
    page.select_option("#f-search_mode", mode)
    page.evaluate(  # no stale result list or ready mark from the search before
        "() => { document.getElementById('result-list')?.remove();"
        " delete document.body.dataset.ready; }"
    )
    started = time.perf_counter()
    page.press("#f-text", "Enter")
    page.wait_for_selector("#result-list")
    results = (time.perf_counter() - started) * 1000
    page.wait_for_selector("body[data-ready='memories']")
    return results, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--queries", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(7)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with running_server() as server:
        print(f"load average before loading: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
        seconds = load(server.url, args.records, rng)
        print(f"loaded {args.records} memories and 200 sessions in {seconds:.0f} s "
              "(local MiniLM embeddings on this machine)")  # fmt: skip
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for view in ("sessions", "memories", "memories?view=timeline&user_id=user3", "ops"):
                paints, readies = [], []
                for _ in range(args.repeats):
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    fcp, ready = first_paint(context.new_page(), f"{server.url}/ui/#/{view}")
                    paints.append(fcp)
                    readies.append(ready)
                    context.close()
                print(f"{view:40s} first paint   {summary(paints)}")
                print(f"{'':40s} view ready    {summary(readies)}")
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(f"{server.url}/ui/#/memories")
            page.wait_for_selector("body[data-ready='memories']")
            api = httpx.Client(base_url=server.url, timeout=60)
            for mode in ("semantic", "keyword", "hybrid"):
                results, whole, direct = [], [], []
                for _ in range(args.queries):
                    text = " ".join(rng.sample(WORDS, 3))
                    shown, done = search(page, text, mode)
                    results.append(shown)
                    whole.append(done)
                    body = {"text": " ".join(rng.sample(WORDS, 3)), "search_mode": mode}
                    started = time.perf_counter()
                    api.post("/v1/long-term-memory/search", json={**body, "limit": 20})
                    direct.append((time.perf_counter() - started) * 1000)
                print(f"search {mode:33s} results shown {summary(results)}")
                print(f"{'':40s} with facets   {summary(whole)}")
                print(f"{'':40s} API alone     {summary(direct)}")
            api.close()
            browser.close()
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
