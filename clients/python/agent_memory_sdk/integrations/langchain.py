"""A LangChain `BaseChatMessageHistory` backed by a working-memory session (extra `[langchain]`).

Messages go in as the session's messages (human -> user, ai -> assistant, system, tool) and come
out as LangChain messages. When the server has summarized the older part of the conversation
(the session outgrew the model's window), the summary comes first, as a SystemMessage.

    history = AgentMemoryChatMessageHistory(config, session_id="s1", user_id="ann")
    RunnableWithMessageHistory(chain, lambda sid: AgentMemoryChatMessageHistory(config, sid))
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from agent_memory_sdk._core import MemoryClientConfig, Op, call, received
from agent_memory_sdk.client import MemoryAPIClient
from agent_memory_sdk.models import MemoryMessage, WorkingMemoryResponse
from agent_memory_sdk.operations import Operations
from agent_memory_sdk.sync import SyncMemoryAPIClient

SUMMARY_PREFIX = "Summary of the earlier conversation: "
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def to_memory_message(message: BaseMessage) -> MemoryMessage:
    role = message.role if isinstance(message, ChatMessage) else _ROLES.get(message.type)
    return MemoryMessage(role=role or message.type, content=message.text)


def to_langchain_message(message: MemoryMessage) -> BaseMessage:
    kinds: dict[str, type[BaseMessage]] = {
        "user": HumanMessage, "assistant": AIMessage, "system": SystemMessage,
    }  # fmt: skip
    if message.role in kinds:
        return kinds[message.role](content=message.content, id=message.id)
    if message.role == "tool":
        return ToolMessage(content=message.content, tool_call_id=message.id, id=message.id)
    return ChatMessage(role=message.role, content=message.content, id=message.id)


class AgentMemoryChatMessageHistory(BaseChatMessageHistory):
    """The messages of one working-memory session (created on the first message)."""

    def __init__(
        self,
        config: MemoryClientConfig,
        session_id: str,
        *,
        user_id: str | None = None,
        namespace: str | None = None,
        model_name: str | None = None,
        context_window_max: int | None = None,
    ) -> None:
        self.config = config
        self.session_id = session_id
        self.user_id = user_id
        self.namespace = namespace
        self.model_name = model_name
        self.context_window_max = context_window_max
        self._ops = Operations(config)

    def _session(self) -> Op[WorkingMemoryResponse | None]:
        ops = self._ops
        params = {
            "namespace": ops._namespace(self.namespace), "user_id": self.user_id,
            **ops._window(self.model_name, self.context_window_max),
        }  # fmt: skip
        reply = received(
            (yield call("GET", "/v1/working-memory/{session_id}", params,
                        answers=frozenset({404}), session_id=self.session_id))
        )  # fmt: skip
        return None if reply.status == 404 else WorkingMemoryResponse.model_validate(reply.body)

    def _messages(self) -> Op[list[BaseMessage]]:
        session = yield from self._session()
        if session is None:
            return []
        out = [to_langchain_message(m) for m in session.messages]
        if session.context:
            out.insert(0, SystemMessage(content=SUMMARY_PREFIX + session.context))
        return out

    def _add(self, messages: Sequence[BaseMessage]) -> Op[None]:
        if messages:
            yield from self._ops.append_messages_to_working_memory(
                self.session_id, [to_memory_message(m) for m in messages], self.namespace,
                self.model_name, self.context_window_max, self.user_id,
            )  # fmt: skip

    def _clear(self) -> Op[None]:
        found = yield from self._session()
        if found is not None:
            yield from self._ops.delete_working_memory(
                self.session_id, self.namespace, self.user_id
            )

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        with SyncMemoryAPIClient(self.config) as client:
            return client.run(self._messages())

    async def aget_messages(self) -> list[BaseMessage]:
        async with MemoryAPIClient(self.config) as client:
            return await client.run(self._messages())

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        with SyncMemoryAPIClient(self.config) as client:
            client.run(self._add(messages))

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        async with MemoryAPIClient(self.config) as client:
            await client.run(self._add(messages))

    def clear(self) -> None:
        with SyncMemoryAPIClient(self.config) as client:
            client.run(self._clear())

    async def aclear(self) -> None:
        async with MemoryAPIClient(self.config) as client:
            await client.run(self._clear())
