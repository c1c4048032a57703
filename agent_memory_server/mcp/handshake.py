"""Record the stdio server's replies to `initialize` and `tools/list` (mcp/handshake.json).

The stdio front (mcp/stdio_front.py) answers these from the recording while the server
starts. They depend only on the code (tool names, signatures, docstrings, our version and the
SDK's), never on settings or data, so they are recorded once per change from the live server:
one stdio session per protocol version the SDK negotiates by `initialize`, one per version of
the per-request-envelope protocol (`server/discover`, then `tools/list` with the envelope),
plus one asking for an unknown version (the server's counter-offer).
tests/integration/test_mcp_handshake.py fails when the file differs from what the code
answers; then regenerate it:

    uv run python -m agent_memory_server.mcp.handshake
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agent_memory_server.mcp.stdio_front import HANDSHAKE

UNKNOWN_VERSION = "1900-01-01"

# The MCP server alone, with no Resources: listing tools needs none.
_SERVE = (
    "import asyncio\n"
    "from agent_memory_server.mcp.server import create_mcp_server\n"
    "asyncio.run(create_mcp_server(lambda: None).run_stdio_async(show_banner=False))\n"
)


def _frame(message: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", **message}) + "\n"


MODERN = "modern:"  # prefix of the keys recorded for the per-request-envelope protocol


def _envelope(version: str) -> dict[str, Any]:
    return {"_meta": {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": {"name": "handshake-recorder", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }}  # fmt: skip


def session(version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The live server's first reply (initialize, or server/discover for a `MODERN` version)
    and its tools/list result when a client asks for `version`."""
    if version.startswith(MODERN):
        envelope = _envelope(version.removeprefix(MODERN))
        frames = _frame({"id": 1, "method": "server/discover", "params": envelope}) + _frame(
            {"id": 2, "method": "tools/list", "params": envelope}
        )
    else:
        frames = (
            _frame({"id": 1, "method": "initialize", "params": {
                "protocolVersion": version, "capabilities": {},
                "clientInfo": {"name": "handshake-recorder", "version": "1"}}})
            + _frame({"method": "notifications/initialized"})
            + _frame({"id": 2, "method": "tools/list"})
        )  # fmt: skip
    results: dict[int, dict[str, Any]] = {}
    with subprocess.Popen(
        [sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    ) as process:  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(frames)
        process.stdin.flush()
        try:
            while len(results) < 2:
                line = process.stdout.readline()
                if not line:
                    raise RuntimeError("the MCP server exited before answering")
                reply = json.loads(line)
                if reply.get("id") in (1, 2):
                    results[reply["id"]] = reply["result"]
        finally:
            process.stdin.close()
            process.wait(timeout=60)
    return results[1], results[2]


def record() -> dict[str, Any]:
    """What handshake.json holds: per protocol version, the index in `results` (each distinct
    result once) of its initialize (handshake versions) or server/discover (modern versions)
    result and of its tools/list result, and the handshake version offered to unknown ones."""
    from mcp_types.version import (  # noqa: PLC0415
        HANDSHAKE_PROTOCOL_VERSIONS,
        MODERN_PROTOCOL_VERSIONS,
    )

    modern = [MODERN + v for v in MODERN_PROTOCOL_VERSIONS]
    versions = [*HANDSHAKE_PROTOCOL_VERSIONS, *modern, UNKNOWN_VERSION]
    with ThreadPoolExecutor(max_workers=len(versions)) as pool:
        sessions = dict(zip(versions, pool.map(session, versions), strict=True))
    fallback_reply, _ = sessions.pop(UNKNOWN_VERSION)
    results: list[dict[str, Any]] = []

    def index(result: dict[str, Any]) -> int:
        if result not in results:
            results.append(result)
        return results.index(result)

    def of(era: list[str], which: int) -> dict[str, int]:
        return {v.removeprefix(MODERN): index(sessions[v][which]) for v in era}

    return {
        "fallback": fallback_reply["protocolVersion"],
        "initialize": of(list(HANDSHAKE_PROTOCOL_VERSIONS), 0),
        "tools": of(list(HANDSHAKE_PROTOCOL_VERSIONS), 1),
        "discover": of(modern, 0),
        "modern_tools": of(modern, 1),
        "results": results,
    }


def main() -> None:
    HANDSHAKE.write_text(json.dumps(record(), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {HANDSHAKE}")


if __name__ == "__main__":
    main()
