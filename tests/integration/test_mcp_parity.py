"""Parity: one table of scenarios run through REST and through MCP, each on a fresh store, gives
the same records and the same kinds of error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastmcp import Client
from fastmcp.exceptions import ToolError

from agent_memory_server.config import Settings
from agent_memory_server.mcp.server import create_mcp_server
from tests.conftest import AppClient
from tests.support.mcp import KIND_OF_STATUS, kind

View = Callable[[Any], Any]
VOLATILE = {"created_at", "updated_at", "last_accessed", "persisted_at", "access_count"}
MEMORIES = [
    {"id": "p1", "text": "Alice moved to Paris in 2021.", "user_id": "alice",
     "namespace": "travel", "topics": ["home", "travel"], "entities": ["Alice", "Paris"]},
    {"id": "p2", "text": "Alice is allergic to peanuts.", "user_id": "alice",
     "namespace": "health", "topics": ["food", "health"], "entities": ["Alice"]},
    {"id": "p3", "text": "Bob plays the cello every Sunday.", "user_id": "bob",
     "namespace": "hobbies", "topics": ["music"], "entities": ["Bob"]},
    {"id": "p4", "text": "Bob's favourite food is ramen.", "user_id": "bob",
     "namespace": "health", "topics": ["food"], "entities": ["Bob"], "pinned": True},
]  # fmt: skip
MESSAGES = [
    {"role": "user", "content": "Can you suggest a restaurant in Paris?"},
    {"role": "assistant", "content": "Try a bistro near the Marais."},
]


def record(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in VOLATILE}


def results(value: dict[str, Any]) -> Any:
    hits = [(m["id"], round(m["dist"], 4), round(m["score"], 4)) for m in value["memories"]]
    return hits, value["total"], value["next_offset"]


def session(value: dict[str, Any]) -> Any:
    texts = [(m["role"], m["content"]) for m in value["messages"]]
    return texts, value["namespace"], value["user_id"], value["tokens"], value["data"]


def prompt(value: dict[str, Any]) -> Any:
    texts = [(m["role"], m["content"]["text"]) for m in value["messages"]]
    return texts, [m["id"] for m in value["long_term_memories"]]


def status(value: dict[str, Any]) -> Any:
    return value["status"]


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    tool: str
    args: dict[str, Any]
    view: View = record
    rest: dict[str, Any] = field(default_factory=dict)  # httpx arguments, default json=args


def search(name: str, view: View = results, **body: Any) -> Scenario:
    """A search: the REST body and the tool arguments are the same dict."""
    return Scenario(name, "POST", "/v1/long-term-memory/search", "search_long_term_memory",
                    body, view)  # fmt: skip


def put_session(name: str, session_id: str, **body: Any) -> Scenario:
    return Scenario(
        name, "PUT", f"/v1/working-memory/{session_id}", "set_working_memory",
        {"session_id": session_id, **body}, session, {"json": body},
    )  # fmt: skip


SCENARIOS = [
    Scenario("store", "POST", "/v1/long-term-memory/", "create_long_term_memories",
             {"memories": MEMORIES}, status),
    Scenario("get", "GET", "/v1/long-term-memory/p1", "get_long_term_memory",
             {"memory_id": "p1"}),
    search("semantic with a user filter", text="Where does Alice live?",
           user_id={"eq": "alice"}),
    search("hybrid with topics, paged", text="food allergies", search_mode="hybrid",
           topics={"any": ["food", "music"]}, limit=2),
    search("keyword excluding a namespace", text="Bob cello ramen", search_mode="keyword",
           namespace={"ne": "hobbies"}),
    search("filter-only listing", text="", entities={"all": ["Alice"]},
           created_at={"gte": "2020-01-01T00:00:00Z"}),
    search("semantic with a distance threshold", text="Where does Alice live?",
           distance_threshold=0.6),
    search("hybrid with the asker's now", text="Where did Alice move two years ago?",
           search_mode="hybrid", now="2023-05-30T23:40:00Z"),
    put_session("put a session", "chat-1", messages=MESSAGES, user_id="alice",
                namespace="travel", data={"city": "Paris"}),
    Scenario("get the session", "GET", "/v1/working-memory/chat-1", "get_working_memory",
             {"session_id": "chat-1", "namespace": "travel"}, session,
             {"params": {"namespace": "travel"}}),
    Scenario("prompt with session and memories", "POST", "/v1/memory/prompt", "memory_prompt",
             {"query": "Where should Alice eat?", "session_id": "chat-1", "namespace": "travel",
              "user_id": "alice", "long_term_search": {"limit": 3}}, prompt,
             {"json": {"query": "Where should Alice eat?", "long_term_search": {"limit": 3},
                       "session": {"session_id": "chat-1", "namespace": "travel",
                                   "user_id": "alice"}}}),
    Scenario("edit", "PATCH", "/v1/long-term-memory/p1", "edit_long_term_memory",
             {"memory_id": "p1", "text": "Alice moved to Rome in 2024.", "pinned": True},
             rest={"json": {"text": "Alice moved to Rome in 2024.", "pinned": True}}),
    search("search after the edit", text="Which city does Alice live in?", limit=1),
    Scenario("delete", "DELETE", "/v1/long-term-memory", "delete_long_term_memories",
             {"memory_ids": ["p2", "ghost"]}, status, {"params": {"memory_ids": ["p2", "ghost"]}}),
    # Bad input: the same kind of error through both doors.
    Scenario("get a deleted memory", "GET", "/v1/long-term-memory/p2", "get_long_term_memory",
             {"memory_id": "p2"}),
    search("two operators in one filter", text="x", namespace={"eq": "a", "ne": "b"}),
    search("unknown filter operator", text="x", topics={"like": "foo"}),
    search("between with one value", text="x", created_at={"between": [1]}),
    search("limit out of range", text="x", limit=0),
    search("now that is not a date", text="x", now="next tuesday-ish"),
    search("threshold in keyword mode", text="x", search_mode="keyword",
           distance_threshold=0.3),
    Scenario("edit that changes nothing", "PATCH", "/v1/long-term-memory/p4",
             "edit_long_term_memory", {"memory_id": "p4", "pinned": True},
             rest={"json": {"pinned": True}}),
    Scenario("edit an unknown memory", "PATCH", "/v1/long-term-memory/ghost",
             "edit_long_term_memory", {"memory_id": "ghost", "pinned": True},
             rest={"json": {"pinned": True}}),
    Scenario("store an empty text", "POST", "/v1/long-term-memory/", "create_long_term_memories",
             {"memories": [{"text": ""}]}, status),
    Scenario("delete nothing", "DELETE", "/v1/long-term-memory", "delete_long_term_memories",
             {"memory_ids": []}, status, {"params": {}}),
    put_session("a message from the future", "chat-2", messages=[
        {"role": "user", "content": "hi", "created_at": "2999-01-01T00:00:00Z"}]),
    put_session("session in namespace a", "twin", namespace="a"),
    put_session("same id in namespace b", "twin", namespace="b"),
    Scenario("ambiguous session id", "GET", "/v1/working-memory/twin", "get_working_memory",
             {"session_id": "twin"}, session),
    Scenario("unknown session", "GET", "/v1/working-memory/nobody", "get_working_memory",
             {"session_id": "nobody"}, session),
    Scenario("window too small", "GET", "/v1/working-memory/chat-1", "get_working_memory",
             {"session_id": "chat-1", "context_window_max": 5}, session,
             {"params": {"context_window_max": 5}}),
    Scenario("empty prompt query", "POST", "/v1/memory/prompt", "memory_prompt",
             {"query": ""}, prompt),
]  # fmt: skip


async def _through_rest(app: AppClient, scenario: Scenario) -> tuple[str, Any]:
    if scenario.rest:
        options = scenario.rest
    elif scenario.method in ("GET", "DELETE"):
        options = {}
    else:
        options = {"json": scenario.args}
    response = await app.http.request(scenario.method, scenario.path, **options)
    if response.status_code >= 400:
        return "error", KIND_OF_STATUS[response.status_code]
    return "ok", scenario.view(response.json())


async def _through_mcp(client: Client[Any], scenario: Scenario) -> tuple[str, Any]:
    try:
        result = await client.call_tool(scenario.tool, scenario.args)
    except ToolError as e:
        return "error", kind(str(e))
    return "ok", scenario.view(result.structured_content)


async def test_rest_and_mcp_give_the_same_outcomes(
    make_settings: Callable[..., Settings], start_app: Callable[[Settings], Any]
) -> None:
    outcomes: list[tuple[str, tuple[str, Any], tuple[str, Any]]] = []
    async with (
        start_app(make_settings()) as app,
        Client(create_mcp_server(make_settings())) as client,
    ):
        for scenario in SCENARIOS:
            rest = await _through_rest(app, scenario)
            mcp = await _through_mcp(client, scenario)
            outcomes.append((scenario.name, rest, mcp))
    width = max(len(name) for name, _, _ in outcomes)
    print()
    for name, rest, mcp in outcomes:
        shown = rest[1] if rest[0] == "error" else "same records" if rest == mcp else "DIFFERENT"
        print(f"{name:<{width}}  REST {rest[0]:<5}  MCP {mcp[0]:<5}  {shown}")
    assert [(n, r) for n, r, _ in outcomes] == [(n, m) for n, _, m in outcomes]
    answers = {name: rest[1] for name, rest, _ in outcomes}  # not vacuous: real records
    assert answers["semantic with a user filter"][0][0][0] == "p1"
    assert answers["search after the edit"][0][0][0] == "p1"
    assert [hit[0] for hit in answers["filter-only listing"][0]] == ["p2", "p1"]
    assert answers["delete"] == "ok, deleted 1 memories"
    errors = [name for name, rest, _ in outcomes if rest[0] == "error"]
    assert len(errors) == 16  # every bad-input row failed, through both doors
