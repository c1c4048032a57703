"""One real server (uvicorn, the embedded worker, the test Redis) and one headless Chromium
per test module; screenshots go to .artifacts/ui/ (git-ignored)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.support.hermetic import CHILD_CWD, free_port

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
    process: subprocess.Popen[bytes] = field(repr=False)

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json()


def start_server(redis_url: str, data_dir: Path, **env: str) -> Server:
    port = free_port()
    prefix = f"ui{uuid.uuid4().hex[:10]}"
    process = subprocess.Popen(
        [sys.executable, "-m", "agent_memory_server", "api", "--port", str(port)],
        cwd=CHILD_CWD, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "REDIS_URL": redis_url, "DATA_DIR": str(data_dir),
             "KEY_PREFIX": prefix, "LLM_PROVIDER": "none", "LOG_LEVEL": "WARNING",
             "COMPACTION_INTERVAL_MINUTES": "0", "SUMMARY_VIEW_REFRESH_MINUTES": "0", **env},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # start-up loads the models: slow on a busy machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "died")
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return Server(url, prefix, httpx.Client(base_url=url, timeout=60), process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    if process.stderr:
        process.stderr.close()
    raise RuntimeError("server did not start in 240 s")


def stop_server(server: Server) -> None:
    server.http.close()
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    if server.process.stderr:  # the pipe a start-up failure is read from
        server.process.stderr.close()


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
