"""Shared fixtures: one real Redis Stack server per test session, isolated key prefixes per test.

Nothing of the caller's configuration reaches the tests (see tests/support/hermetic.py): it is
removed from the environment here, before any test runs; only REDIS_URL is used, by the
`redis_url` fixture, to run the suite against that Redis instead of the embedded one.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI

from agent_memory_server.app import create_app
from agent_memory_server.config import Settings
from agent_memory_server.resources import Resources
from agent_memory_server.storage.embedded import EmbeddedRedis, find_binaries
from tests.support.cluster import LocalCluster
from tests.support.hermetic import CHILD_CWD, TestSettings, free_port, scrub_environment
from tests.support.llm_stub import LLMStub
from tests.support.processes import SERVER_START_SECONDS
from tests.support.serving import serve

ROOT = Path(__file__).resolve().parent.parent
CALLER_ENV = scrub_environment()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when set, else the embedded launcher on a temporary data directory."""
    if CALLER_ENV.get("REDIS_URL"):
        yield CALLER_ENV["REDIS_URL"]
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A real local Redis Cluster (3 primaries, 1 replica) from the embedded server's binaries,
    started once for the session when a test asks for it (tests/support/cluster.py)."""
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster")).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def make_settings(redis_url: str, shared_data_dir: Path) -> Callable[..., Settings]:
    """Settings on the test Redis with a fresh key prefix, no LLM and no embedded worker (an
    inline one when asked for); nothing comes from the environment or a `.env` file."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "redis_url": redis_url,
            "data_dir": shared_data_dir,
            "key_prefix": f"t{uuid.uuid4().hex[:10]}",
            "llm_provider": "none",
            "embedded_worker": False,
            "embedded_worker_mode": "inline",  # with embedded_worker=True: no child process
            "compaction_interval_minutes": 0,
            "summary_view_refresh_minutes": 0,  # periodic jobs that stay queued never drain
        }
        values.update(overrides)
        return TestSettings(**values)

    return build


class AppClient:
    """The app under its real lifespan, called over ASGI, with its Resources at hand."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.app = app
        self.http = client

    @property
    def resources(self) -> Resources:
        resources: Resources = self.app.state.resources
        return resources


@asynccontextmanager
async def lifespan_running(app: FastAPI) -> AsyncIterator[None]:
    """Run the app's lifespan in a task of its own, as an ASGI server does: start-up and
    shutdown happen in that one task (the MCP session manager's anyio task group must not be
    entered in one task and left in another, as a fixture's set-up and teardown would)."""
    started = asyncio.Event()
    stop = asyncio.Event()

    async def lifespan() -> None:
        async with app.router.lifespan_context(app):
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan(), name="lifespan")
    ready = asyncio.create_task(started.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if not started.is_set():
        ready.cancel()
        await task  # raises the start-up error
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture
def start_app() -> Callable[[Settings], Any]:
    """`async with start_app(settings) as app:` runs create_app's lifespan around a client."""

    @asynccontextmanager
    async def run(settings: Settings) -> AsyncIterator[AppClient]:
        app = create_app(settings)
        async with lifespan_running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield AppClient(app, client)

    return run


@pytest.fixture
async def app(
    make_settings: Callable[..., Settings], start_app: Callable[[Settings], Any]
) -> AsyncIterator[AppClient]:
    async with start_app(make_settings()) as running:
        yield running


@pytest.fixture
def llm_stub() -> Iterator[LLMStub]:
    with LLMStub() as stub:
        yield stub


@pytest.fixture
def serve_app() -> Iterator[Callable[[Settings], str]]:
    """`serve_app(settings)`: the app under uvicorn on a real socket, in a thread of the test
    process, until the test ends; returns its URL. What an `agent-memory api` process proves
    over HTTP, without a child's imports and model loading (`server_process` for the rest)."""
    with ExitStack() as servers:
        yield lambda settings: servers.enter_context(serve(settings))


@pytest.fixture
def server_process(redis_url: str, shared_data_dir: Path) -> Iterator[Callable[..., str]]:
    """Start `agent-memory api` (or `start("mcp", "--mode", "sse")`: another server command) as a
    real process (real uvicorn, real socket); returns its URL."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(*command: str, **env_overrides: str) -> str:
        port = free_port()
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "DATA_DIR": str(shared_data_dir),
            "KEY_PREFIX": f"p{uuid.uuid4().hex[:10]}",
            "LLM_PROVIDER": "none",
            "LOG_LEVEL": "WARNING",
            **env_overrides,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "agent_memory_server", *(command or ("api",)),
             "--port", str(port)],
            cwd=CHILD_CWD,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "died")
            try:  # uvicorn answers once the app has started (the MCP server's answer is a 404)
                if httpx.get(f"{url}/v1/health", timeout=1).status_code in (200, 404):
                    return url
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start in {SERVER_START_SECONDS} s")

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:  # the pipe a start-up failure is read from
            process.stderr.close()


@pytest.fixture
def bare_redis_url(tmp_path: Path) -> Iterator[str]:
    """A plain Redis server: no search, no JSON."""
    port = free_port()
    bare = subprocess.Popen(
        [str(find_binaries().server), "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    bare.terminate()
    bare.wait(timeout=10)
