"""The same auth and tenant rule over MCP: the API's /mcp with AUTH_MODE=token, real process."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
from fastmcp import Client
from redis.asyncio import Redis

from agent_memory_server.services.auth import add_token
from agent_memory_server.storage.api_tokens import TokenStore
from agent_memory_server.storage.keys import Keys
from tests.support.mcp import call, error_of, kind

SECRET_B = "Bob's locker code is 4417."


async def test_a_tenant_is_refused_another_tenants_data_over_mcp(
    server_process: Callable[..., str], redis_url: str
) -> None:
    prefix = f"m{uuid.uuid4().hex[:10]}"
    url = server_process(AUTH_MODE="token", KEY_PREFIX=prefix, ENTITY_EXTRACTION="none")
    redis = Redis.from_url(redis_url)
    try:
        admin, _ = await add_token(TokenStore(redis, Keys(prefix)), "admin")
        alice, _ = await add_token(TokenStore(redis, Keys(prefix)), "alice", ["a"], user_id="alice")
    finally:
        await redis.aclose()
    memories = [
        {"id": "a1", "text": "Alice likes green tea.", "namespace": "a", "user_id": "alice"},
        {"id": "b1", "text": SECRET_B, "namespace": "b", "user_id": "bob"},
    ]
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        admin_h = {"authorization": f"Bearer {admin}"}
        stored = await http.post(
            "/v1/long-term-memory/", json={"memories": memories, "deduplicate": False},
            headers=admin_h,
        )  # fmt: skip
        assert stored.status_code == 200, stored.text
        put = await http.put(
            "/v1/working-memory/s-b", params={"namespace": "b"}, headers=admin_h,
            json={"messages": [{"role": "user", "content": SECRET_B}], "user_id": "bob"},
        )  # fmt: skip
        assert put.status_code == 200
        anonymous = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert anonymous.status_code == 401

    async with Client(f"{url}/mcp", auth=alice, timeout=60) as client:
        # Another tenant's object is answered as a missing one; naming its tenant is refused.
        hidden = {
            "get": await error_of(client, "get_long_term_memory", memory_id="b1"),
            "edit": await error_of(
                client, "edit_long_term_memory", memory_id="b1", text="hacked"
            ),
            "session": await error_of(
                client, "get_working_memory", session_id="s-b", namespace="b"
            ),
        }  # fmt: skip
        for what, message in hidden.items():
            assert kind(message) == "Not found", (what, message)
            assert "4417" not in message and "bob" not in message, (what, message)
        deleted = await call(client, "delete_long_term_memories", memory_ids=["b1"])
        assert "deleted 0" in deleted["status"]  # skipped, as an unknown id is
        refused = {
            "write into b": await error_of(
                client, "create_long_term_memories",
                memories=[{"text": "x", "namespace": "b"}],
            ),
            "compact": await error_of(client, "compact_long_term_memories", namespace="b"),
        }  # fmt: skip
        for what, message in refused.items():
            assert kind(message) == "Not allowed", (what, message)
            assert "4417" not in message
        for tool in ("search_long_term_memory", "search_memory"):
            found = await call(client, tool, text="locker code", namespace={"eq": "b"})
            assert found["memories"] == [] and found["total"] == 0
        everything = await call(client, "search_long_term_memory", text="locker code")
        assert [m["id"] for m in everything["memories"]] == ["a1"]
        prompt = await call(
            client, "memory_prompt", query="locker code",
            long_term_search={"namespace": {"eq": "b"}},
        )  # fmt: skip
        assert "4417" not in str(prompt)

    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        b1 = await http.get("/v1/long-term-memory/b1", headers=admin_h)
        assert b1.json()["text"] == SECRET_B  # untouched


async def test_the_standalone_mcp_server_checks_credentials_too(
    server_process: Callable[..., str], redis_url: str
) -> None:
    prefix = f"m{uuid.uuid4().hex[:10]}"
    env = {"AUTH_MODE": "token", "KEY_PREFIX": prefix, "ENTITY_EXTRACTION": "none"}
    url = server_process("mcp", "--mode", "streamable-http", **env)
    redis = Redis.from_url(redis_url)
    try:
        alice, _ = await add_token(TokenStore(redis, Keys(prefix)), "alice", ["a"], user_id="alice")
    finally:
        await redis.aclose()
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        anonymous = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert anonymous.status_code == 401
    async with Client(f"{url}/mcp", auth=alice, timeout=60) as client:
        message = await error_of(
            client, "search_long_term_memory", text="x", namespace={"eq": "a"}, limit=0
        )
        assert kind(message) == "Invalid input"  # authenticated: the call reached validation
        stored = await call(client, "create_long_term_memories", memories=[{"text": "Tea."}])
        [memory_id] = stored["ids"]
        mine = await call(client, "get_long_term_memory", memory_id=memory_id)
        assert (mine["namespace"], mine["user_id"]) == ("a", "alice")  # the token's tenant
