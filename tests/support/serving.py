"""A real server (the app under uvicorn on a real socket) in a thread of the test process.

What a child `agent-memory api` process would prove over HTTP, without its seconds of imports
and model loading: the tests that need a process (signals, cold start, the `mcp` command, a
separate worker) start one with the `server_process` fixture instead."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from agent_memory_server.app import create_app
from agent_memory_server.config import Settings
from tests.support.hermetic import free_port


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """Serve create_app(settings) over HTTP on a free port until the block ends; its URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
