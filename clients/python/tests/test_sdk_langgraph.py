"""The LangGraph store over the real server: the BaseStore operations, and a real graph with a
fake chat model (langchain_core's ParrotFakeChatModel, no network) that stores a memory in one
thread and recalls it in another."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import ParrotFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.store.base import BaseStore, MatchCondition

from agent_memory_sdk import MemoryAPIClient, MemoryClientConfig, NotFoundError
from agent_memory_sdk.integrations.langgraph import AgentMemoryStore, record_id


async def test_store_operations_map_onto_long_term_memory(
    config: MemoryClientConfig, namespace: str
) -> None:
    store = AgentMemoryStore(config)
    prefs = (namespace, "ann", "prefs")
    await store.aput(prefs, "food", {"text": "Ann is vegetarian", "rank": 2})
    await store.aput(prefs, "drink", {"text": "Ann drinks oat milk", "rank": 5}, ttl=60)
    await store.aput((namespace, "ann", "trips"), "t1", {"text": "Ann went to Oslo in May"},
                     index=["text"])  # fmt: skip
    await store.aput((namespace, "bob"), "food", {"text": "Bob eats everything", "rank": 1})

    item = await store.aget(prefs, "food")
    assert item is not None and item.value == {"text": "Ann is vegetarian", "rank": 2}
    assert item.namespace == prefs and item.key == "food"
    assert await store.aget(prefs, "missing") is None

    found = await store.asearch((namespace, "ann"), query="What does Ann eat?", limit=5)
    assert {(i.namespace[-1], i.key) for i in found} == {("prefs", "food"), ("prefs", "drink"),
                                                         ("trips", "t1")}  # fmt: skip
    assert found[0].key == "food" and found[0].score is not None
    assert [i.key for i in await store.asearch(prefs, filter={"rank": {"$gt": 3}})] == ["drink"]
    assert [i.key for i in await store.asearch((namespace,), filter={"rank": 1})] == ["food"]
    paged = await store.asearch((namespace,), limit=2, offset=2)
    assert len(paged) == 2

    # What the server holds: namespace[0] as namespace, namespace[1] as owner, pinned
    async with MemoryAPIClient(config) as client:
        record = await client.get_long_term_memory(record_id(prefs, "food"))
    assert (record.namespace, record.user_id, record.pinned) == (namespace, "ann", True)
    assert record.text == "text: Ann is vegetarian\nrank: 2"

    assert await store.alist_namespaces(prefix=(namespace,)) == [
        (namespace, "ann", "prefs"), (namespace, "ann", "trips"), (namespace, "bob"),
    ]  # fmt: skip
    assert await store.alist_namespaces(prefix=(namespace,), max_depth=2) == [
        (namespace, "ann"), (namespace, "bob"),
    ]  # fmt: skip
    suffix = MatchCondition(match_type="suffix", path=("prefs",))
    assert await store.alist_namespaces(prefix=(namespace,), suffix=suffix.path) == [prefs]

    await store.aput(prefs, "food", {"text": "Ann is vegan now", "rank": 2})
    updated = await store.aget(prefs, "food")
    assert updated is not None and updated.value["text"] == "Ann is vegan now"
    assert updated.created_at == item.created_at and updated.updated_at > item.updated_at
    await store.adelete(prefs, "food")
    assert await store.aget(prefs, "food") is None
    await store.aclose()


def _agent(model: ParrotFakeChatModel) -> StateGraph[MessagesState]:
    """Remembers what follows 'remember:'; answers with the memories found for the question
    (the parrot model repeats its last message, the memories it was given)."""

    def respond(
        state: MessagesState, config: RunnableConfig, *, store: BaseStore
    ) -> dict[str, Any]:
        user = config["configurable"]["user_id"]
        space = ("agent", user, "memories")
        question = str(state["messages"][-1].content)
        if question.startswith("remember:"):
            store.put(space, uuid.uuid4().hex, {"memory": question.removeprefix("remember:")})
            return {"messages": [AIMessage("Noted.")]}
        memories = store.search(space, query=question, limit=1)
        shown = "; ".join(m.value["memory"].strip() for m in memories) or "nothing"
        answer = model.invoke([*state["messages"], SystemMessage(f"I remember: {shown}")])
        return {"messages": [answer]}

    builder = StateGraph(MessagesState)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    return builder


def test_a_graph_recalls_across_threads(config: MemoryClientConfig) -> None:
    store = AgentMemoryStore(config)
    graph = _agent(ParrotFakeChatModel()).compile(checkpointer=InMemorySaver(), store=store)
    user = f"u{uuid.uuid4().hex[:8]}"

    def ask(thread: str, text: str) -> str:
        run: RunnableConfig = {"configurable": {"thread_id": thread, "user_id": user}}
        state = graph.invoke({"messages": [HumanMessage(text)]}, run)
        return str(state["messages"][-1].content)

    assert ask("t1", "remember: my bike is a green Brompton") == "Noted."
    assert ask("t1", "remember: I am allergic to peanuts") == "Noted."
    assert ask("t2", "Which bike do I ride?") == "I remember: my bike is a green Brompton"
    assert ask("t3", "Can I eat peanut butter?") == "I remember: I am allergic to peanuts"
    other = {"configurable": {"thread_id": "t4", "user_id": "someone-else"}}
    answer = graph.invoke({"messages": [HumanMessage("Which bike do I ride?")]}, other)  # type: ignore[arg-type]
    assert answer["messages"][-1].content == "I remember: nothing"
    store.close()


async def test_the_async_graph_uses_abatch(config: MemoryClientConfig) -> None:
    store = AgentMemoryStore(config)

    async def respond(state: MessagesState, *, store: BaseStore) -> dict[str, Any]:
        await store.aput(("agent", "amy"), "last", {"said": str(state["messages"][-1].content)})
        item = await store.aget(("agent", "amy"), "last")
        return {"messages": [AIMessage(f"stored {item.value['said'] if item else None}")]}

    builder = StateGraph(MessagesState)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    graph = builder.compile(store=store)
    results = await asyncio.gather(
        *(graph.ainvoke({"messages": [HumanMessage(f"hi {i}")]}) for i in range(3))
    )
    assert all(str(r["messages"][-1].content).startswith("stored hi ") for r in results)
    assert [n for n in await store.alist_namespaces() if n == ("agent", "amy")] == [
        ("agent", "amy")
    ]
    await store.aclose()


async def test_ttl_expires_items_and_get_refreshes_it(config: MemoryClientConfig) -> None:
    store = AgentMemoryStore(config)
    space = ("ttl", "tom")
    # No read may depend on how long a write takes (two embedded writes took 4 s on a loaded
    # machine): the short item's expiry is checked where it is stored, then waited out.
    before = time.time()
    await store.aput(space, "short", {"note": "gone soon"}, ttl=1 / 60)
    after = time.time()
    await store.aput(space, "kept", {"note": "read often"}, ttl=5 / 60)
    async with MemoryAPIClient(config) as client:
        stored = await client.get_long_term_memory(record_id(space, "short"))
    expires_at = (stored.metadata or {})["langgraph"]["expires_at"]
    assert before + 1 <= expires_at <= after + 1
    for _ in range(11):  # 6.6 s in all, past the 5 s ttl: alive because each read moves it
        await asyncio.sleep(0.6)
        assert await store.aget(space, "kept") is not None
    assert time.time() > expires_at
    assert await store.aget(space, "short") is None  # expired: not returned, and deleted
    assert [i.key for i in await store.asearch(space)] == ["kept"]
    async with MemoryAPIClient(config) as client:
        with pytest.raises(NotFoundError):
            await client.get_long_term_memory(record_id(space, "short"))
    await store.aclose()
