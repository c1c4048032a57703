"""Memory tools over the real server: the OpenAI and Anthropic schemas, the dispatcher run on
tool calls as each API delivers them, scoping to one user, and the LangChain tools run on the
tool calls of a fake chat model."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from agent_memory_sdk import MemoryAPIClient, MemoryClientConfig, SyncMemoryAPIClient
from agent_memory_sdk.integrations.langchain_tools import memory_tools
from agent_memory_sdk.tools import (
    MemoryToolDispatcher,
    anthropic_tool_schemas,
    openai_tool_schemas,
)

NAMES = ["search_memory", "create_memory", "edit_memory", "forget_memory", "memory_prompt"]


def test_schemas_for_openai_and_anthropic() -> None:
    openai = openai_tool_schemas()
    anthropic = anthropic_tool_schemas()
    assert [t["function"]["name"] for t in openai] == NAMES == [t["name"] for t in anthropic]
    search = openai[0]["function"]
    assert search["parameters"]["required"] == ["query"]
    assert search["parameters"]["properties"]["limit"]["maximum"] == 20
    assert anthropic[2]["input_schema"]["required"] == ["memory_id"]
    assert all(t["description"] for t in anthropic)
    json.dumps([openai, anthropic])  # plain JSON


def _openai_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"call_{name}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)}}  # fmt: skip


async def test_the_dispatcher_executes_tool_calls_within_one_user(
    config: MemoryClientConfig,
) -> None:
    async with MemoryAPIClient(config) as client:
        ann = MemoryToolDispatcher(client, user_id="ann")
        bob = MemoryToolDispatcher(client, user_id="bob")
        answer = await ann.aexecute_openai(
            _openai_call(
                "create_memory", {"text": "Ann is allergic to cats.", "topics": ["health"]}
            )
        )
        assert answer["role"] == "tool" and answer["tool_call_id"] == "call_create_memory"
        created = json.loads(answer["content"])
        assert created["status"] == "created"
        await bob.aexecute("create_memory", {"text": "Bob is allergic to pollen."})

        block = await ann.aexecute_anthropic(
            {"type": "tool_use", "id": "tu1", "name": "search_memory",
             "input": {"query": "allergies", "limit": 5}}
        )  # fmt: skip
        assert block["type"] == "tool_result" and block["tool_use_id"] == "tu1"
        assert not block["is_error"]
        found = json.loads(block["content"])["memories"]
        assert [m["text"] for m in found] == ["Ann is allergic to cats."]  # not Bob's

        memory_id = created["id"]
        correction = {"memory_id": memory_id, "text": "Ann is allergic to dogs."}
        edited = await ann.aexecute("edit_memory", correction)
        assert edited["memory"]["text"] == "Ann is allergic to dogs."
        assert (await bob.aexecute("edit_memory", {"memory_id": memory_id, "text": "x"})) == {
            "error": f"memory {memory_id!r} not found"
        }
        prompt = await ann.aexecute("memory_prompt", {"query": "Which pets are a problem?"})
        assert "Ann is allergic to dogs." in prompt["context"]

        refused = await bob.aexecute("forget_memory", {"memory_ids": [memory_id]})
        assert refused["forgotten"] == [] and refused["not_found"] == [memory_id]
        forgotten = await ann.aexecute("forget_memory", {"memory_ids": [memory_id]})
        assert forgotten["forgotten"] == [memory_id]
        again = await ann.aexecute("search_memory", {"query": "allergies"})
        assert again["memories"] == []

        assert "error" in await ann.aexecute("search_memory", '{"limit": 3}')  # no query
        assert "error" in await ann.aexecute("search_memory", "not json")
        assert "unknown tool" in (await ann.aexecute("drop_tables", {}))["error"]
        bad_block = await ann.aexecute_anthropic(
            {"type": "tool_use", "id": "tu2", "name": "edit_memory", "input": {}}
        )
        assert bad_block["is_error"]


def test_the_sync_dispatcher(config: MemoryClientConfig) -> None:
    with SyncMemoryAPIClient(config) as client:
        tools = MemoryToolDispatcher(client, user_id="cy", session_id="s1")
        message = tools.execute_openai(_openai_call("create_memory", {"text": "Cy likes jazz."}))
        assert json.loads(message["content"])["status"] == "created"
        hits = tools.execute("search_memory", {"query": "music"})["memories"]
        assert [h["text"] for h in hits] == ["Cy likes jazz."]


async def test_langchain_tools_run_a_fake_models_tool_calls(config: MemoryClientConfig) -> None:
    tools = {tool.name: tool for tool in memory_tools(config, user_id="dee")}
    assert sorted(tools) == sorted(NAMES)
    model = GenericFakeChatModel(
        messages=iter([
            AIMessage("", tool_calls=[{"name": "create_memory", "id": "c1",
                                       "args": {"text": "Dee runs marathons.",
                                                "topics": ["sport"]}}]),
            AIMessage("", tool_calls=[{"name": "search_memory", "id": "c2",
                                       "args": {"query": "What sport does Dee do?"}}]),
        ])
    )  # fmt: skip
    schema = convert_to_openai_tool(tools["create_memory"])["function"]
    assert schema["parameters"]["required"] == ["text"]

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode(list(tools.values())))  # LangGraph's own tool executor
    builder.add_edge(START, "agent")
    builder.add_edge("agent", "tools")
    graph = builder.compile()
    results: list[ToolMessage] = []
    for _ in range(2):
        state = await graph.ainvoke({"messages": [HumanMessage("go")]})
        results.append(state["messages"][-1])
    assert [r.tool_call_id for r in results] == ["c1", "c2"]
    assert json.loads(str(results[0].content))["status"] == "created"
    hits = json.loads(str(results[1].content))["memories"]
    assert [h["text"] for h in hits] == ["Dee runs marathons."]
    sync_hit = tools["search_memory"].invoke({"query": "running"})  # the sync path
    assert "Dee runs marathons." in sync_hit
