"""Helpers for the MCP tests: call a tool and get its JSON, or the text of its error."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastmcp import Client
from fastmcp.exceptions import ToolError
from mcp_types.version import LATEST_HANDSHAKE_VERSION

TOOLS = {
    "create_long_term_memories",
    "search_long_term_memory",
    "search_memory",
    "memory_prompt",
    "get_working_memory",
    "set_working_memory",
    "get_long_term_memory",
    "edit_long_term_memory",
    "delete_long_term_memories",
    "compact_long_term_memories",
    "get_current_datetime",
}

# The kind a tool error starts with, for each REST status of the same mistake.
KIND_OF_STATUS = {
    400: "Invalid request",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Invalid input",
    503: "Unavailable",
}


async def call(client: Client[Any], tool: str, **arguments: Any) -> dict[str, Any]:
    """The tool's JSON answer (raises ToolError on a tool error)."""
    result = await client.call_tool(tool, arguments)
    assert isinstance(result.structured_content, dict), result
    return result.structured_content


async def error_of(client: Client[Any], tool: str, **arguments: Any) -> str:
    """The text of the tool error the call must produce."""
    try:
        result = await client.call_tool(tool, arguments)
    except ToolError as e:
        return str(e)
    raise AssertionError(f"{tool} succeeded where it must fail: {result.structured_content}")


def kind(message: str) -> str:
    """`Not found: Memory 'x' not found. ...` -> `Not found`."""
    return message.partition(":")[0]


def description_text(tools: list[Any]) -> int:
    """Characters of every tool description and every description in the input schemas."""

    def walk(node: Any) -> int:
        if isinstance(node, dict):
            own = len(node["description"]) if isinstance(node.get("description"), str) else 0
            return own + sum(walk(v) for k, v in node.items() if k != "description")
        if isinstance(node, list):
            return sum(walk(v) for v in node)
        return 0

    return sum(len(t.description or "") + walk(t.input_schema) for t in tools)


async def exercise_every_tool(client: Client[Any]) -> None:
    """List the tools and call each one once, checking what each answers."""
    assert {t.name for t in await client.list_tools()} == TOOLS
    memories = [
        {"id": "e1", "text": "Erin keeps bees in her garden.", "user_id": "erin"},
        {"id": "e2", "text": "Erin's sister lives in Oslo.", "user_id": "erin"},
    ]
    stored = await call(client, "create_long_term_memories", memories=memories)
    assert stored["ids"] == ["e1", "e2"]
    found = await call(client, "search_long_term_memory", text="Who keeps bees?", limit=1)
    assert found["memories"][0]["id"] == "e1"
    alias = await call(client, "search_memory", text="", user_id={"eq": "erin"})
    assert alias["total"] == 2
    assert (await call(client, "get_long_term_memory", memory_id="e2"))["user_id"] == "erin"
    edited = await call(client, "edit_long_term_memory", memory_id="e2", topics=["family"])
    assert edited["topics"] == ["family"]
    await call(
        client, "set_working_memory", session_id="w1", user_id="erin",
        messages=[{"role": "user", "content": "Tell me about my bees."}],
    )  # fmt: skip
    session = await call(client, "get_working_memory", session_id="w1")
    assert [m["content"] for m in session["messages"]] == ["Tell me about my bees."]
    prompt = await call(client, "memory_prompt", query="How are the bees?", session_id="w1")
    assert prompt["messages"][-1]["content"]["text"] == "How are the bees?"
    compacted = await call(client, "compact_long_term_memories", user_id="erin")
    assert compacted["exact_duplicates_removed"] == 0 and compacted["kept"] >= 2
    deleted = await call(client, "delete_long_term_memories", memory_ids=["e1", "e2"])
    assert deleted["status"] == "ok, deleted 2 memories"
    assert "unix_ts" in await call(client, "get_current_datetime")


async def raw_tool_call(
    http: httpx.AsyncClient, tool: str, arguments_json: str, path: str = "/mcp",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """Call a tool over streamable HTTP with arguments sent as raw JSON text (NaN, escapes of
    lone surrogates: what an SDK client would never send); the HTTP status and JSON-RPC
    answer."""
    sent = {
        "accept": "application/json, text/event-stream",
        "content-type": "application/json",
        **(headers or {}),
    }
    init = await http.post(path, headers=sent, json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}}})  # fmt: skip
    assert init.status_code == 200, init.text
    if "mcp-session-id" in init.headers:
        sent["mcp-session-id"] = init.headers["mcp-session-id"]
    ready = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert (await http.post(path, headers=sent, json=ready)).status_code in (200, 202)
    body = (
        '{"jsonrpc": "2.0", "id": 2, "method": "tools/call", '
        f'"params": {{"name": "{tool}", "arguments": {arguments_json}}}}}'
    )
    answer = await http.post(path, headers=sent, content=body.encode())
    frame: dict[str, Any]
    if answer.headers["content-type"].startswith("text/event-stream"):
        data = [line[5:] for line in answer.text.splitlines() if line.startswith("data:")]
        frame = json.loads(data[-1])
    else:
        frame = answer.json()
    return answer.status_code, frame
