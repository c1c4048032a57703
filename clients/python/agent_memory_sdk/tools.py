"""Memory tools for tool-calling models: OpenAI and Anthropic schemas and a dispatcher.

    dispatcher = MemoryToolDispatcher(client, user_id="ann", namespace="app")
    response = openai.chat.completions.create(..., tools=openai_tool_schemas())
    for call in response.choices[0].message.tool_calls or []:
        messages.append(await dispatcher.aexecute_openai(call.model_dump()))

Five tools: search_memory, create_memory, edit_memory, forget_memory, memory_prompt. The
dispatcher fixes the user, namespace and session: a model cannot reach another tenant's
memories, and edit/forget of a memory outside that scope answers "not found". Failures come
back as {"error": ...} results the model can read, not as exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from agent_memory_sdk._core import Op, call, received
from agent_memory_sdk.client import MemoryAPIClient
from agent_memory_sdk.exceptions import MemoryClientError
from agent_memory_sdk.models import ClientMemoryRecord, MemoryRecord, MemoryTypeEnum
from agent_memory_sdk.operations import Operations
from agent_memory_sdk.sync import SyncMemoryAPIClient

Kind = Literal["semantic", "episodic"]


class SearchMemoryArgs(BaseModel):
    """Search the user's long-term memory for facts and events relevant to a query."""

    query: str = Field(description="What to look for, in natural language.")
    topics: list[str] | None = Field(default=None, description="Only memories with a topic.")
    memory_type: Kind | None = Field(default=None, description="semantic facts or episodic events")
    limit: int = Field(default=5, ge=1, le=20, description="How many memories to return.")


class CreateMemoryArgs(BaseModel):
    """Remember a fact about the user (semantic) or an event (episodic) for later sessions."""

    text: str = Field(min_length=1, description="The memory, as one self-contained sentence.")
    topics: list[str] | None = Field(default=None, description="A few topic words.")
    memory_type: Kind = Field(default="semantic", description="semantic fact or episodic event")
    event_date: datetime | None = Field(default=None, description="When the event happened.")


class EditMemoryArgs(BaseModel):
    """Correct a stored memory (found by search_memory) when the user says it changed."""

    memory_id: str = Field(description="The id of the memory, from search_memory.")
    text: str | None = Field(default=None, min_length=1, description="The corrected memory.")
    topics: list[str] | None = None
    memory_type: Kind | None = None
    event_date: datetime | None = None


class ForgetMemoryArgs(BaseModel):
    """Forget memories the user asked to be forgotten or that are wrong."""

    memory_ids: list[str] = Field(min_length=1, description="Ids of memories, from search_memory.")


class MemoryPromptArgs(BaseModel):
    """Get what is remembered that is relevant to a query: conversation summary and memories."""

    query: str = Field(min_length=1, description="The user's question or topic.")


TOOLS: dict[str, type[BaseModel]] = {
    "search_memory": SearchMemoryArgs, "create_memory": CreateMemoryArgs,
    "edit_memory": EditMemoryArgs, "forget_memory": ForgetMemoryArgs,
    "memory_prompt": MemoryPromptArgs,
}  # fmt: skip


def _parameters(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return schema


def openai_tool_schemas() -> list[dict[str, Any]]:
    """The tools as OpenAI chat-completions `tools` entries."""
    return [
        {"type": "function", "function": {"name": name, "description": model.__doc__ or "",
                                          "parameters": _parameters(model)}}
        for name, model in TOOLS.items()
    ]  # fmt: skip


def anthropic_tool_schemas() -> list[dict[str, Any]]:
    """The tools as Anthropic messages-API `tools` entries."""
    return [
        {"name": name, "description": model.__doc__ or "", "input_schema": _parameters(model)}
        for name, model in TOOLS.items()
    ]


def _brief(record: MemoryRecord, score: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": record.id, "text": record.text, "memory_type": record.memory_type.value,
        "topics": record.topics or [],
    }  # fmt: skip
    if record.event_date is not None:
        out["event_date"] = record.event_date.isoformat()
    if score is not None:
        out["score"] = round(score, 4)
    return out


class MemoryToolDispatcher:
    """Executes tool calls against the server, within one user's (and namespace's) memory."""

    def __init__(
        self,
        client: MemoryAPIClient | SyncMemoryAPIClient,
        *,
        user_id: str | None = None,
        namespace: str | None = None,
        session_id: str | None = None,
    ) -> None:
        self.client = client
        self.user_id = user_id
        self.namespace = namespace if namespace is not None else client.config.default_namespace
        self.session_id = session_id
        self._ops = Operations(client.config)

    # Running: sync or async by the client given.

    def execute(self, name: str, arguments: Mapping[str, Any] | str) -> dict[str, Any]:
        if not isinstance(self.client, SyncMemoryAPIClient):
            raise TypeError("execute needs a SyncMemoryAPIClient; use aexecute")
        return self.client.run(self._safely(name, arguments))

    async def aexecute(self, name: str, arguments: Mapping[str, Any] | str) -> dict[str, Any]:
        if not isinstance(self.client, MemoryAPIClient):
            raise TypeError("aexecute needs a MemoryAPIClient; use execute")
        return await self.client.run(self._safely(name, arguments))

    async def aexecute_openai(self, tool_call: Mapping[str, Any]) -> dict[str, Any]:
        """An OpenAI tool call -> the `tool` message that answers it."""
        function = tool_call["function"]
        result = await self.aexecute(function["name"], function.get("arguments") or "{}")
        return {"role": "tool", "tool_call_id": tool_call["id"], "content": json.dumps(result)}

    def execute_openai(self, tool_call: Mapping[str, Any]) -> dict[str, Any]:
        function = tool_call["function"]
        result = self.execute(function["name"], function.get("arguments") or "{}")
        return {"role": "tool", "tool_call_id": tool_call["id"], "content": json.dumps(result)}

    async def aexecute_anthropic(self, tool_use: Mapping[str, Any]) -> dict[str, Any]:
        """An Anthropic `tool_use` block -> the `tool_result` block that answers it."""
        result = await self.aexecute(tool_use["name"], tool_use.get("input") or {})
        return self._anthropic_result(tool_use, result)

    def execute_anthropic(self, tool_use: Mapping[str, Any]) -> dict[str, Any]:
        result = self.execute(tool_use["name"], tool_use.get("input") or {})
        return self._anthropic_result(tool_use, result)

    @staticmethod
    def _anthropic_result(tool_use: Mapping[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        return {"type": "tool_result", "tool_use_id": tool_use["id"],
                "content": json.dumps(result), "is_error": "error" in result}  # fmt: skip

    # The tools, as operations.

    def _safely(self, name: str, arguments: Mapping[str, Any] | str) -> Op[dict[str, Any]]:
        model = TOOLS.get(name)
        if model is None:
            return {"error": f"unknown tool {name!r}; the tools are {', '.join(TOOLS)}"}
        try:
            raw = json.loads(arguments) if isinstance(arguments, str) else dict(arguments)
            args = model.model_validate(raw)
        except (ValueError, ValidationError) as e:
            return {"error": f"bad arguments for {name}: {e}"}
        handler: Callable[[Any], Op[dict[str, Any]]] = getattr(self, "_" + name)
        try:
            return (yield from handler(args))
        except MemoryClientError as e:
            return {"error": str(e)}

    def _in_scope(self, memory_id: str) -> Op[MemoryRecord | None]:
        reply = received(
            (yield call("GET", "/v1/long-term-memory/{memory_id}", answers=frozenset({404}),
                        memory_id=memory_id))
        )  # fmt: skip
        if reply.status == 404:
            return None
        record = MemoryRecord.model_validate(reply.body)
        if (self.user_id is not None and record.user_id != self.user_id) or (
            self.namespace is not None and record.namespace != self.namespace
        ):
            return None
        return record

    def _search_memory(self, args: SearchMemoryArgs) -> Op[dict[str, Any]]:
        found = yield from self._ops.search_long_term_memory(
            args.query, limit=args.limit,
            namespace={"eq": self.namespace} if self.namespace else None,
            user_id={"eq": self.user_id} if self.user_id else None,
            topics={"any": args.topics} if args.topics else None,
            memory_type={"eq": args.memory_type} if args.memory_type else None,
        )  # fmt: skip
        return {"memories": [_brief(m, m.score) for m in found.memories], "total": found.total}

    def _create_memory(self, args: CreateMemoryArgs) -> Op[dict[str, Any]]:
        record = ClientMemoryRecord(
            text=args.text, topics=args.topics, memory_type=MemoryTypeEnum(args.memory_type),
            event_date=args.event_date, user_id=self.user_id, namespace=self.namespace,
            session_id=self.session_id,
        )  # fmt: skip
        yield from self._ops.create_long_term_memory([record])
        return {"status": "created", "id": record.id}

    def _edit_memory(self, args: EditMemoryArgs) -> Op[dict[str, Any]]:
        if (yield from self._in_scope(args.memory_id)) is None:
            return {"error": f"memory {args.memory_id!r} not found"}
        changes = args.model_dump(mode="json", exclude_none=True, exclude={"memory_id"})
        if not changes:
            return {"error": "nothing to change: give text, topics, memory_type or event_date"}
        edited = yield from self._ops.edit_long_term_memory(args.memory_id, changes)
        return {"status": "edited", "memory": _brief(edited)}

    def _forget_memory(self, args: ForgetMemoryArgs) -> Op[dict[str, Any]]:
        mine: list[str] = []
        for memory_id in args.memory_ids:
            if (yield from self._in_scope(memory_id)) is not None:
                mine.append(memory_id)
        missing = [i for i in args.memory_ids if i not in mine]
        if mine:
            yield from self._ops.delete_long_term_memories(mine)
        return {"status": "forgotten", "forgotten": mine, "not_found": missing}

    def _memory_prompt(self, args: MemoryPromptArgs) -> Op[dict[str, Any]]:
        search: dict[str, Any] = {"limit": 5}
        if self.user_id:
            search["user_id"] = {"eq": self.user_id}
        if self.namespace:
            search["namespace"] = {"eq": self.namespace}
        prompt = yield from self._ops.build_memory_prompt(
            args.query, session_id=self.session_id, namespace=self.namespace,
            user_id=self.user_id, long_term_search=search,
        )  # fmt: skip
        context = [m.text for m in prompt.messages if m.role == "system"]
        return {"context": "\n\n".join(context) or "Nothing relevant is remembered.",
                "memories": [_brief(m, m.score) for m in prompt.long_term_memories]}  # fmt: skip
