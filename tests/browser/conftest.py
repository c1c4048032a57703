"""One real server (uvicorn on a real socket in a thread of the test process, the embedded
worker, the test Redis) and one headless Chromium per test module; screenshots go to
.artifacts/ui/ (git-ignored)."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.support.hermetic import TestSettings
from tests.support.serving import serve

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / ".artifacts" / "ui"

if not Path(CHROMIUM).exists():  # `make test` installs it (Debian's chromium package)
    pytest.skip(f"no chromium at {CHROMIUM}: run `make chromium`", allow_module_level=True)

from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright  # noqa: E402


@dataclass
class Server:
    url: str
    key_prefix: str
    http: httpx.Client
    running: ExitStack = field(repr=False)

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json()


def start_server(redis_url: str, data_dir: Path, **overrides: Any) -> Server:
    """The app on loopback (the /ui switch reads the bind host), with its embedded worker."""
    prefix = f"ui{uuid.uuid4().hex[:10]}"
    settings = TestSettings(
        redis_url=redis_url, data_dir=data_dir, key_prefix=prefix, llm_provider="none",
        host="127.0.0.1", compaction_interval_minutes=0, summary_view_refresh_minutes=0,
        **overrides,
    )  # fmt: skip
    running = ExitStack()
    url = running.enter_context(serve(settings))
    return Server(url, prefix, httpx.Client(base_url=url, timeout=60), running)


def stop_server(server: Server) -> None:
    server.http.close()
    server.running.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def view_of(fragment: str) -> str:
    """The view a URL fragment opens: `session/x?namespace=y` -> `session`."""
    return re.split(r"[/?]", fragment, maxsplit=1)[0]


@dataclass
class Tab:
    """A page of the workbench that fails the test on a console error (a CSP violation
    shows up there) and saves screenshots under .artifacts/ui/."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def open(self, fragment: str) -> Page:
        self.page.goto(f"{self.base}/ui/#/{fragment}")
        return self.ready(view_of(fragment))

    def ready(self, view: str) -> Page:
        self.page.wait_for_selector(f"body[data-ready='{view}']")
        return self.page

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def tab(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Tab]]:
    contexts = []

    def make(base: str, width: int = 1280) -> Tab:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        opened = Tab(page, base)

        def console(message: ConsoleMessage) -> None:
            # a refused API call (401, 403) is logged by the browser, and is expected
            if message.type == "error" and "status of 40" not in message.text:
                opened.errors.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        return opened

    yield make
    for context in contexts:
        context.close()
