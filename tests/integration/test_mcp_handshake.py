"""The stdio front answers `initialize` and `tools/list` from mcp/handshake.json while the
server starts: the recording must be exactly what this code's server answers, for every
protocol version the SDK negotiates (regenerate: python -m agent_memory_server.mcp.handshake)."""

from __future__ import annotations

from agent_memory_server.mcp.handshake import record
from agent_memory_server.mcp.stdio_front import load_handshake


def test_the_recorded_handshake_is_what_the_server_answers() -> None:
    recorded = load_handshake()
    assert recorded is not None, "mcp/handshake.json is missing"
    assert record() == recorded, (
        "mcp/handshake.json is stale: run `uv run python -m agent_memory_server.mcp.handshake`"
    )
