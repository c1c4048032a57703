"""FastAgentic memory providers over the server (extra `[fastagentic]`).

    app = App(memory=AgentMemoryProvider(config), session_memory=...)

AgentMemoryProvider implements fastagentic.memory.MemoryProvider on long-term memory: each
memory is a record owned by `user_id` in the configured namespace (so the server's tenant rules
and per-user erasure apply); `metadata` is kept on the record, and its "category" / "tags"
become topics, which `search(filters={"category": ...})` filters on. A list of messages is
stored as one episodic memory of "role: content" lines. get/update/delete of another user's
memory behave as if it did not exist.

AgentMemorySessionMemory implements fastagentic.memory.SessionMemory on working memory: the
messages of a session, and `summarize` returns the server's running summary.
"""

from __future__ import annotations

from typing import Any

from fastagentic.memory import MemoryProvider, SessionMemory

from agent_memory_sdk._core import MemoryClientConfig, Op, call, received
from agent_memory_sdk.client import MemoryAPIClient
from agent_memory_sdk.exceptions import NotFoundError
from agent_memory_sdk.models import ClientMemoryRecord, MemoryRecord, MemoryTypeEnum
from agent_memory_sdk.operations import Operations

PAGE = 100


def _topics(metadata: dict[str, Any] | None) -> list[str] | None:
    if not metadata:
        return None
    tags = metadata.get("tags") or []
    found = ([metadata["category"]] if metadata.get("category") else []) + list(tags)
    return [str(t) for t in found] or None


def as_dict(record: MemoryRecord, score: float | None = None) -> dict[str, Any]:
    """A memory as FastAgentic's providers return it."""
    out: dict[str, Any] = {
        "id": record.id, "user_id": record.user_id, "content": record.text,
        "memory": record.text, "metadata": record.metadata or {},
        "created_at": record.created_at.isoformat(), "updated_at": record.updated_at.isoformat(),
    }  # fmt: skip
    if score is not None:
        out["score"] = score
    return out


class AgentMemoryProvider(MemoryProvider):
    """Per-user long-term memory in agent-memory-server."""

    def __init__(self, config: MemoryClientConfig, namespace: str | None = None) -> None:
        self.config = config
        self.namespace = namespace if namespace is not None else config.default_namespace
        self._ops = Operations(config)

    async def _run(self, op: Op[Any]) -> Any:
        async with MemoryAPIClient(self.config) as client:
            return await client.run(op)

    def _owned(self, user_id: str, memory_id: str) -> Op[MemoryRecord | None]:
        reply = received(
            (yield call("GET", "/v1/long-term-memory/{memory_id}", answers=frozenset({404}),
                        memory_id=memory_id))
        )  # fmt: skip
        if reply.status == 404:
            return None
        record = MemoryRecord.model_validate(reply.body)
        mine = record.user_id == user_id and (
            self.namespace is None or record.namespace == self.namespace
        )
        return record if mine else None

    def _scope(self, user_id: str) -> dict[str, Any]:
        scope: dict[str, Any] = {"user_id": {"eq": user_id}}
        if self.namespace is not None:
            scope["namespace"] = {"eq": self.namespace}
        return scope

    async def add(
        self,
        user_id: str,
        content: str | list[dict[str, Any]],
        metadata: dict[str, Any] | None = None,
    ) -> str:
        if isinstance(content, str):
            text, kind = content, MemoryTypeEnum.SEMANTIC
        else:
            text = "\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" for m in content)
            kind = MemoryTypeEnum.EPISODIC
        record = ClientMemoryRecord(
            text=text, user_id=user_id, namespace=self.namespace, memory_type=kind,
            topics=_topics(metadata), metadata=metadata or None,
        )  # fmt: skip
        await self._run(self._ops.create_long_term_memory([record], deduplicate=False))
        return record.id

    async def search(
        self, user_id: str, query: str, limit: int = 10, filters: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        given = dict(filters or {})
        topics = _topics({"category": given.pop("category", None), "tags": given.pop("tags", [])})
        kind = given.pop("memory_type", None)
        page = await self._run(
            self._ops.search_long_term_memory(
                query, limit=min(limit, PAGE), **self._scope(user_id),
                topics={"any": topics} if topics else None,
                memory_type={"eq": kind} if kind else None,
                created_at=given.pop("created_at", None),
            )
        )  # fmt: skip
        if given:
            raise ValueError(f"unknown filters: {', '.join(given)}")
        return [as_dict(m, m.score) for m in page.memories]

    async def get(self, user_id: str, memory_id: str) -> dict[str, Any] | None:
        record = await self._run(self._owned(user_id, memory_id))
        return None if record is None else as_dict(record)

    async def get_all(self, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None and len(found) < limit:
            page = await self._run(self._ops.search_long_term_memory(
                "", limit=min(PAGE, limit - len(found)), offset=offset, **self._scope(user_id)
            ))  # fmt: skip
            found.extend(as_dict(m) for m in page.memories)
            offset = page.next_offset
        return found

    def _update(
        self, user_id: str, memory_id: str, content: str | None, metadata: dict[str, Any] | None
    ) -> Op[None]:
        record = yield from self._owned(user_id, memory_id)
        if record is None:
            raise NotFoundError(f"memory {memory_id!r} of user {user_id!r} not found", 404)
        changes: dict[str, Any] = {}
        if content is not None:
            changes["text"] = content
        if metadata is not None:
            merged = {**(record.metadata or {}), **metadata}
            changes["metadata"] = merged
            changes["topics"] = _topics(merged) or []
        if changes:
            yield from self._ops.edit_long_term_memory(memory_id, changes)

    async def update(
        self,
        user_id: str,
        memory_id: str,
        content: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        await self._run(self._update(user_id, memory_id, content, metadata))

    def _delete(self, user_id: str, memory_id: str) -> Op[None]:
        if (yield from self._owned(user_id, memory_id)) is not None:
            yield from self._ops.delete_long_term_memories([memory_id])

    async def delete(self, user_id: str, memory_id: str) -> None:
        await self._run(self._delete(user_id, memory_id))

    def _delete_all(self, user_id: str) -> Op[int]:
        deleted = 0
        while True:
            page = yield from self._ops.search_long_term_memory(
                "", limit=PAGE, **self._scope(user_id)
            )
            if not page.memories:
                return deleted
            yield from self._ops.delete_long_term_memories([m.id for m in page.memories])
            deleted += len(page.memories)

    async def delete_all(self, user_id: str) -> int:
        """Delete the user's long-term memories (not their sessions: see erase_user)."""
        count: int = await self._run(self._delete_all(user_id))
        return count


class AgentMemorySessionMemory(SessionMemory):
    """Conversation history of a session in the server's working memory."""

    def __init__(
        self,
        config: MemoryClientConfig,
        *,
        user_id: str | None = None,
        context_window_max: int | None = None,
    ) -> None:
        self.config = config
        self.user_id = user_id
        self.context_window_max = context_window_max
        self._ops = Operations(config)

    async def _session(self, session_id: str) -> Any:
        async with MemoryAPIClient(self.config) as client:
            try:
                return await client.get_working_memory(
                    session_id, self.user_id, context_window_max=self.context_window_max
                )
            except NotFoundError:
                return None

    async def get_messages(self, session_id: str) -> list[dict[str, Any]]:
        session = await self._session(session_id)
        messages = [] if session is None else session.messages
        return [{"role": m.role, "content": m.content} for m in messages]

    async def add_message(self, session_id: str, message: dict[str, Any]) -> None:
        async with MemoryAPIClient(self.config) as client:
            await client.append_messages_to_working_memory(
                session_id, [{"role": message["role"], "content": message["content"]}],
                context_window_max=self.context_window_max, user_id=self.user_id,
            )  # fmt: skip

    async def clear(self, session_id: str) -> None:
        if await self._session(session_id) is not None:
            async with MemoryAPIClient(self.config) as client:
                await client.delete_working_memory(session_id, user_id=self.user_id)

    async def summarize(self, _session_id: str) -> str:
        session = await self._session(_session_id)
        return "" if session is None or not session.context else str(session.context)
