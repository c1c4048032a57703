"""The MCP server over its real transports: an `agent-memory mcp` process on stdio, streamable
HTTP mounted in the API at /mcp, and the standalone HTTP server (streamable HTTP and SSE), with
the namespace in the URL path as the default of every call."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from agent_memory_server.config import Settings
from tests.support.hermetic import CHILD_CWD
from tests.support.mcp import call, exercise_every_tool

MCP_COMMAND = [sys.executable, "-m", "agent_memory_server", "mcp"]


@pytest.fixture
def mcp_env(redis_url: str, shared_data_dir: Path) -> dict[str, str]:
    """Environment of an MCP process on the test Redis, under a fresh key prefix."""
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(shared_data_dir),
        "KEY_PREFIX": f"m{uuid.uuid4().hex[:10]}",
        "LLM_PROVIDER": "none",
        "EMBEDDED_WORKER": "false",
        "ENTITY_EXTRACTION": "none",
        "COMPACTION_INTERVAL_MINUTES": "0",
        "LOG_LEVEL": "WARNING",
    }


async def test_stdio_process_serves_every_tool(mcp_env: dict[str, str], tmp_path: Path) -> None:
    transport = StdioTransport(
        command=MCP_COMMAND[0], args=[*MCP_COMMAND[1:], "--mode", "stdio"], env=mcp_env,
        cwd=str(CHILD_CWD), keep_alive=False, log_file=tmp_path / "stderr.log",
    )  # fmt: skip
    async with Client(transport, timeout=60) as client:
        await exercise_every_tool(client)


async def _frame(
    stdout: asyncio.StreamReader, frames: list[dict[str, Any]], request_id: int
) -> dict[str, Any]:
    """Read stdout frames until the response to `request_id`; keep every frame read."""
    while True:
        line = await asyncio.wait_for(stdout.readline(), timeout=120)
        assert line, "stdout closed before the response"
        frame: dict[str, Any] = json.loads(line)  # a line that is not JSON fails here
        frames.append(frame)
        if frame.get("id") == request_id:
            return frame


async def test_stdio_writes_nothing_but_protocol_frames_to_stdout(
    mcp_env: dict[str, str], tmp_path: Path
) -> None:
    """Zero configuration (the embedded Redis, the local models built on first start), DEBUG
    logs: stdout carries JSON-RPC frames only, from start-up to shutdown."""
    env = {k: v for k, v in mcp_env.items() if k not in ("REDIS_URL", "ENTITY_EXTRACTION")}
    env.update(DATA_DIR=str(tmp_path), LOG_LEVEL="DEBUG", EMBEDDED_WORKER="true")
    process = await asyncio.create_subprocess_exec(
        *MCP_COMMAND, "--mode", "stdio", cwd=CHILD_CWD, env=env, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdin and process.stdout and process.stderr
    stderr = asyncio.ensure_future(process.stderr.read())
    frames: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        assert process.stdin
        process.stdin.write(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")
        await process.stdin.drain()

    try:
        await send({"id": 1, "method": "initialize", "params": {
            "protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {},
            "clientInfo": {"name": "purity-test", "version": "1"}}})  # fmt: skip
        assert "result" in await _frame(process.stdout, frames, 1)
        await send({"method": "notifications/initialized"})
        await send({"id": 2, "method": "tools/list"})
        assert len((await _frame(process.stdout, frames, 2))["result"]["tools"]) == 11
        memory = {"text": "Frank repairs old radios.", "user_id": "frank"}
        await send({"id": 3, "method": "tools/call", "params": {
            "name": "create_long_term_memories", "arguments": {"memories": [memory]}}})  # fmt: skip
        assert not (await _frame(process.stdout, frames, 3))["result"].get("isError")
        await send({"id": 4, "method": "tools/call", "params": {
            "name": "get_long_term_memory", "arguments": {"memory_id": "missing"}}})  # fmt: skip
        assert (await _frame(process.stdout, frames, 4))["result"]["isError"] is True
        process.stdin.close()  # the client leaves: the server shuts down
        rest = await asyncio.wait_for(process.stdout.read(), timeout=120)
        assert await asyncio.wait_for(process.wait(), timeout=60) == 0
    finally:
        if process.returncode is None:
            process.kill()
        _stop_leftover_redis(tmp_path)
    frames.extend(json.loads(line) for line in rest.splitlines() if line.strip())
    assert all(frame.get("jsonrpc") == "2.0" for frame in frames)
    logs = (await stderr).decode()
    assert "started embedded Redis" in logs and "DEBUG" in logs  # the logs went to stderr
    assert not (tmp_path / "server.json").exists()  # the embedded Redis was stopped


def _stop_leftover_redis(data_dir: Path) -> None:
    """If the server under test died without stopping its embedded Redis, stop it here."""
    try:
        pid = json.loads((data_dir / "server.json").read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(int(pid), signal.SIGTERM)


async def test_streamable_http_in_the_api_with_namespace_in_path(
    serve_app: Callable[[Settings], str], make_settings: Callable[..., Settings]
) -> None:
    url = serve_app(make_settings(entity_extraction="none", embedded_worker=True))
    async with Client(f"{url}/mcp", timeout=60) as client:
        await exercise_every_tool(client)
        await call(client, "create_long_term_memories", memories=[
            {"id": "other", "text": "Gina sails on weekends.", "namespace": "team-b"}])  # fmt: skip
    async with Client(f"{url}/team-a/mcp", timeout=60) as client:
        await call(client, "create_long_term_memories", memories=[
            {"id": "own", "text": "Hugo sails on weekends."}])  # fmt: skip
        own = await call(client, "get_long_term_memory", memory_id="own")
        assert own["namespace"] == "team-a"
        found = await call(client, "search_long_term_memory", text="Who sails?")
        assert [m["id"] for m in found["memories"]] == ["own"]
        saved = await call(client, "set_working_memory", session_id="s1")
        assert saved["namespace"] == "team-a"
    async with httpx.AsyncClient(base_url=url) as http:  # the REST API around it is unchanged
        assert (await http.get("/v1/long-term-memory/own")).json()["namespace"] == "team-a"
        assert (await http.get("/no/such/route")).json() == {"detail": "Not Found"}
        assert (await http.post("/v1/health")).status_code == 405


async def test_standalone_streamable_http_and_sse(server_process: Callable[..., str]) -> None:
    env = {"KEY_PREFIX": f"m{uuid.uuid4().hex[:10]}", "EMBEDDED_WORKER": "false",
           "ENTITY_EXTRACTION": "none"}  # fmt: skip
    http_url = server_process("mcp", "--mode", "streamable-http", **env)
    async with Client(f"{http_url}/mcp", timeout=60) as client:
        await call(client, "create_long_term_memories", memories=[
            {"id": "i1", "text": "Ivy grows tomatoes.", "user_id": "ivy"}])  # fmt: skip
        found = await call(client, "search_memory", text="Who grows vegetables?")
        assert [m["id"] for m in found["memories"]] == ["i1"]
    async with Client(f"{http_url}/garden/mcp", timeout=60) as client:
        assert (await call(client, "set_working_memory", session_id="g"))["namespace"] == "garden"
    async with httpx.AsyncClient(base_url=http_url) as http:  # for the scraper and the probe
        assert (await http.get("/v1/health/live")).json() == {"status": "alive"}
        scraped = await http.get("/metrics")
        assert scraped.headers["content-type"].startswith("text/plain")
        lines = scraped.text.splitlines()
        assert any(
            line.startswith("agent_memory_http_requests_total{")
            and 'route="/{namespace}/mcp"' in line
            for line in lines
        ), scraped.text[:2000]
        assert any(
            line.startswith("agent_memory_embedding_duration_seconds_count") for line in lines
        )

    sse_url = server_process("mcp", "--mode", "sse", **env)
    async with Client(f"{sse_url}/garden/sse", timeout=60) as client:
        await call(client, "create_long_term_memories", memories=[
            {"id": "j1", "text": "Jack grows pumpkins."}])  # fmt: skip
        assert (await call(client, "get_long_term_memory", memory_id="j1"))["namespace"] == "garden"
    async with Client(f"{sse_url}/sse", timeout=60) as client:
        listing = await call(client, "search_long_term_memory", text="")
        assert listing["total"] == 2  # both processes use the same key prefix
