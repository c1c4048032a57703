"""A LangGraph agent whose long-term memory is agent-memory-server (offline: a fake model).

Run a server (`agent-memory api`), then: python langgraph_store.py [URL]
"""

import sys
import uuid
from typing import Any

from langchain_core.language_models.fake_chat_models import ParrotFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.store.base import BaseStore

from agent_memory_sdk import MemoryClientConfig
from agent_memory_sdk.integrations.langgraph import AgentMemoryStore

model = ParrotFakeChatModel()  # repeats its last message: use a real chat model instead


def respond(state: MessagesState, config: RunnableConfig, *, store: BaseStore) -> dict[str, Any]:
    # ("memories", user): server namespace "memories", owner = the user
    space = ("memories", config["configurable"]["user_id"])
    text = str(state["messages"][-1].content)
    if text.startswith("remember "):
        store.put(space, uuid.uuid4().hex, {"memory": text.removeprefix("remember ")})
        return {"messages": [AIMessage("Noted.")]}
    memories = "; ".join(item.value["memory"] for item in store.search(space, query=text, limit=2))
    return {"messages": [model.invoke([*state["messages"], SystemMessage(f"Known: {memories}")])]}


def main(url: str, user: str = "lea") -> list[str]:
    builder = StateGraph(MessagesState)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    store = AgentMemoryStore(MemoryClientConfig(base_url=url))
    graph = builder.compile(checkpointer=InMemorySaver(), store=store)
    answers = []
    for thread, text in [
        ("t1", "remember I take my coffee black"),
        ("t2", "How do I like coffee?"),
    ]:
        run: RunnableConfig = {"configurable": {"thread_id": thread, "user_id": user}}
        state = graph.invoke({"messages": [HumanMessage(text)]}, run)
        answers.append(str(state["messages"][-1].content))
        print(f"[{thread}] {text} -> {answers[-1]}")
    store.close()
    return answers


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000")
