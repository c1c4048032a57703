"""The LangChain chat history over a real server: messages in and out, clear, the running
summary as a system message, and RunnableWithMessageHistory keeping a conversation."""

from __future__ import annotations

import asyncio
import time

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import RunnableLambda
from langchain_core.runnables.history import RunnableWithMessageHistory

from agent_memory_sdk import MemoryAPIClient, MemoryClientConfig
from agent_memory_sdk.integrations.langchain import SUMMARY_PREFIX, AgentMemoryChatMessageHistory


async def test_messages_in_and_out_and_clear(config: MemoryClientConfig) -> None:
    history = AgentMemoryChatMessageHistory(config, "chat", user_id="ann")
    assert await history.aget_messages() == []
    await history.aadd_messages([SystemMessage("Be brief."), HumanMessage("Hi, I'm Ann.")])
    history.add_ai_message("Hello Ann!")  # the sync path
    got = history.messages
    assert [(type(m), m.content) for m in got] == [
        (SystemMessage, "Be brief."), (HumanMessage, "Hi, I'm Ann."), (AIMessage, "Hello Ann!"),
    ]  # fmt: skip
    async with MemoryAPIClient(config) as client:  # stored as the session's messages
        session = await client.get_working_memory("chat", user_id="ann")
    assert [m.role for m in session.messages] == ["system", "user", "assistant"]
    await history.aclear()
    assert history.messages == []
    history.clear()  # clearing nothing is fine


async def test_the_summary_comes_first_as_a_system_message(config: MemoryClientConfig) -> None:
    history = AgentMemoryChatMessageHistory(config, "long", context_window_max=256)
    turns: list[BaseMessage] = []
    for i in range(30):
        turns.append(HumanMessage(f"Turn {i}: my dog Rex is {i} years old and loves the park."))
        turns.append(AIMessage(f"Noted for turn {i}: Rex, {i} years, the park."))
    await history.aadd_messages(turns)
    deadline = time.monotonic() + 60
    messages = await history.aget_messages()
    while not isinstance(messages[0], SystemMessage) and time.monotonic() < deadline:
        await asyncio.sleep(0.3)  # the server's worker summarizes in the background
        messages = await history.aget_messages()
    first = messages[0]
    assert isinstance(first, SystemMessage) and first.text.startswith(SUMMARY_PREFIX)
    assert "Rex" in first.text
    assert (
        1 < len(messages) < 60
        and messages[-1].text == "Noted for turn 29: Rex, 29 years, the park."
    )


@pytest.mark.filterwarnings("ignore:RunnableWithMessageHistory is deprecated")
def test_runnable_with_message_history_keeps_the_conversation(config: MemoryClientConfig) -> None:
    seen: list[int] = []

    def record(prompt: PromptValue) -> PromptValue:
        seen.append(len(prompt.to_messages()))  # what the model was given
        return prompt

    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are terse."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    model = GenericFakeChatModel(messages=iter([AIMessage("one"), AIMessage("two")]))
    chain = prompt | RunnableLambda(record) | model
    with_history = RunnableWithMessageHistory(
        chain,
        lambda session_id: AgentMemoryChatMessageHistory(config, session_id, user_id="zoe"),
        input_messages_key="question",
        history_messages_key="history",
    )
    run = {"configurable": {"session_id": "rwmh"}}
    assert with_history.invoke({"question": "first"}, run).content == "one"  # type: ignore[arg-type]
    assert with_history.invoke({"question": "second"}, run).content == "two"  # type: ignore[arg-type]
    assert seen == [2, 4]  # system + question, then system + 2 remembered + question
    stored = AgentMemoryChatMessageHistory(config, "rwmh", user_id="zoe").messages
    assert [m.text for m in stored] == ["first", "one", "second", "two"]
    assert [m.type for m in stored] == ["human", "ai", "human", "ai"]
