"""A LangChain chain whose conversation lives in agent-memory-server (offline: a fake model).

Run a server (`agent-memory api`), then: python langchain_history.py [URL]
"""

import sys

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory

from agent_memory_sdk import MemoryClientConfig
from agent_memory_sdk.integrations.langchain import AgentMemoryChatMessageHistory


def main(url: str, session_id: str = "lc-demo") -> list[str]:
    config = MemoryClientConfig(base_url=url, default_namespace="langchain-demo")
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a helpful assistant."), MessagesPlaceholder("history"),
         ("human", "{question}")]
    )  # fmt: skip
    model = GenericFakeChatModel(messages=iter([AIMessage("Hi Max!"), AIMessage("You're Max.")]))
    chain = RunnableWithMessageHistory(
        prompt | model,
        # one working-memory session per LangChain session id
        lambda sid: AgentMemoryChatMessageHistory(config, sid, user_id="max"),
        input_messages_key="question",
        history_messages_key="history",
    )
    run = {"configurable": {"session_id": session_id}}
    for question in ["Hi, I'm Max.", "What's my name?"]:
        print(question, "->", chain.invoke({"question": question}, run).content)
    history = AgentMemoryChatMessageHistory(config, session_id, user_id="max")
    stored = [f"{m.type}: {m.text}" for m in history.messages]
    print(stored)
    return stored


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000")
