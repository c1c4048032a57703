"""Working memory operations: sessions, their messages, data and memories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from agent_memory_sdk._base import OpsBase
from agent_memory_sdk._core import Op, call, parse, received
from agent_memory_sdk.exceptions import MemoryValidationError
from agent_memory_sdk.models import (
    AckResponse,
    LegacyMemoryResponse,
    LegacySessionList,
    MemoryMessage,
    MemoryRecord,
    MemoryStrategyConfig,
    SessionListResponse,
    SessionOverviewList,
    WorkingMemory,
    WorkingMemoryResponse,
)

WM = "/v1/working-memory/{session_id}"
LEGACY = "/sessions/{session_id}/memory"
NOT_FOUND = frozenset({404})
MergeStrategy = Literal["replace", "merge", "deep_merge"]


def deep_merge(base: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in updates.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _message(message: dict[str, Any] | MemoryMessage) -> MemoryMessage:
    if isinstance(message, MemoryMessage):
        return message
    if "role" not in message or "content" not in message:
        raise MemoryValidationError("every message needs 'role' and 'content'")
    return MemoryMessage.model_validate(message)


class WorkingMemoryOps(OpsBase):
    def list_sessions(
        self,
        limit: int = 20,
        offset: int = 0,
        namespace: str | None = None,
        user_id: str | None = None,
    ) -> Op[SessionListResponse]:
        """Session ids, oldest first, with the total count."""
        params = {"limit": limit, "offset": offset, "namespace": self._namespace(namespace)}
        reply = yield call("GET", "/v1/working-memory/", {**params, "user_id": user_id})
        return parse(SessionListResponse, reply)

    def list_session_overviews(
        self,
        limit: int = 20,
        offset: int = 0,
        namespace: str | None = None,
        user_id: str | None = None,
    ) -> Op[SessionOverviewList]:
        """Sessions, newest update first, with their window usage, TTL left and extraction
        state; reading them does not touch the sessions."""
        params = {"limit": limit, "offset": offset, "namespace": self._namespace(namespace)}
        reply = yield call("GET", "/v1/sessions", {**params, "user_id": user_id})
        return parse(SessionOverviewList, reply)

    def get_working_memory(
        self,
        session_id: str,
        user_id: str | None = None,
        namespace: str | None = None,
        model_name: str | None = None,
        context_window_max: int | None = None,
        recent_messages_limit: int | None = None,
    ) -> Op[WorkingMemoryResponse]:
        """A session; raises NotFoundError when there is none."""
        params = {
            "user_id": user_id, "namespace": self._namespace(namespace),
            "recent_messages_limit": recent_messages_limit,
            **self._window(model_name, context_window_max),
        }  # fmt: skip
        reply = yield call("GET", WM, params, session_id=session_id)
        return parse(WorkingMemoryResponse, reply)

    def get_or_create_working_memory(
        self,
        session_id: str,
        user_id: str | None = None,
        namespace: str | None = None,
        model_name: str | None = None,
        context_window_max: int | None = None,
        long_term_memory_strategy: MemoryStrategyConfig | None = None,
    ) -> Op[tuple[bool, WorkingMemoryResponse]]:
        """(created, session): the session, created empty when it did not exist."""
        params = {
            "user_id": user_id, "namespace": self._namespace(namespace),
            **self._window(model_name, context_window_max),
        }  # fmt: skip
        reply = received((yield call("GET", WM, params, answers=NOT_FOUND, session_id=session_id)))
        if reply.status != 404:
            return False, parse(WorkingMemoryResponse, reply)
        empty = WorkingMemory(
            session_id=session_id,
            namespace=self._namespace(namespace),
            user_id=user_id,
            long_term_memory_strategy=long_term_memory_strategy or MemoryStrategyConfig(),
        )
        created = yield from self.put_working_memory(
            session_id, empty, user_id, model_name, context_window_max
        )
        return True, created

    def put_working_memory(
        self,
        session_id: str,
        memory: WorkingMemory,
        user_id: str | None = None,
        model_name: str | None = None,
        context_window_max: int | None = None,
    ) -> Op[WorkingMemoryResponse]:
        """Replace a session (the server summarizes it when it outgrows the window)."""
        body = memory.model_dump(mode="json", exclude_none=True)
        if memory.namespace is None and self.config.default_namespace is not None:
            body["namespace"] = self.config.default_namespace
        params = {"user_id": user_id, **self._window(model_name, context_window_max)}
        reply = yield call("PUT", WM, params, body, session_id=session_id)
        return parse(WorkingMemoryResponse, reply)

    def delete_working_memory(
        self, session_id: str, namespace: str | None = None, user_id: str | None = None
    ) -> Op[AckResponse]:
        params = {"namespace": self._namespace(namespace), "user_id": user_id}
        reply = yield call("DELETE", WM, params, session_id=session_id)
        return parse(AckResponse, reply)

    def append_messages_to_working_memory(
        self,
        session_id: str,
        messages: Sequence[dict[str, Any] | MemoryMessage],
        namespace: str | None = None,
        model_name: str | None = None,
        context_window_max: int | None = None,
        user_id: str | None = None,
    ) -> Op[WorkingMemoryResponse]:
        """Append messages atomically (creating the session), then return the session."""
        body = {
            "messages": [_message(m).model_dump(mode="json", exclude_none=True) for m in messages]
        }
        scope = {"namespace": self._namespace(namespace), "user_id": user_id}
        window = self._window(model_name, context_window_max)
        yield call("POST", LEGACY, {**scope, **window}, body, session_id=session_id)
        return (yield from self.get_working_memory(session_id, user_id, namespace, model_name,
                                                   context_window_max))  # fmt: skip

    def update_working_memory_data(
        self,
        session_id: str,
        data_updates: dict[str, Any],
        namespace: str | None = None,
        merge_strategy: MergeStrategy = "merge",
        user_id: str | None = None,
    ) -> Op[WorkingMemoryResponse]:
        """Change the session's JSON data: replace it, merge the top level, or deep-merge."""
        if merge_strategy not in ("replace", "merge", "deep_merge"):
            raise MemoryValidationError(f"unknown merge strategy {merge_strategy!r}")
        _, session = yield from self.get_or_create_working_memory(session_id, user_id, namespace)
        old = session.data or {}
        if merge_strategy == "replace":
            data = data_updates
        elif merge_strategy == "merge":
            data = {**old, **data_updates}
        else:
            data = deep_merge(old, data_updates)
        updated = WorkingMemory.model_validate(
            {**session.model_dump(include=set(WorkingMemory.model_fields)), "data": data}
        )
        return (yield from self.put_working_memory(session_id, updated, user_id))

    def set_working_memory_data(
        self,
        session_id: str,
        data: dict[str, Any],
        namespace: str | None = None,
        preserve_existing: bool = True,
        user_id: str | None = None,
    ) -> Op[WorkingMemoryResponse]:
        """Set the session's JSON data; keep its messages and memories unless told not to."""
        if preserve_existing:
            return (yield from self.update_working_memory_data(
                session_id, data, namespace, "replace", user_id
            ))  # fmt: skip
        fresh = WorkingMemory(
            session_id=session_id, namespace=self._namespace(namespace), user_id=user_id, data=data
        )
        return (yield from self.put_working_memory(session_id, fresh, user_id))

    def add_memories_to_working_memory(
        self,
        session_id: str,
        memories: Sequence[MemoryRecord],
        namespace: str | None = None,
        replace: bool = False,
        user_id: str | None = None,
    ) -> Op[WorkingMemoryResponse]:
        """Add structured memories to the session (promoted to long-term by the server)."""
        _, session = yield from self.get_or_create_working_memory(session_id, user_id, namespace)
        kept = [] if replace else list(session.memories)
        updated = WorkingMemory.model_validate(
            {**session.model_dump(include=set(WorkingMemory.model_fields)),
             "memories": kept + list(memories)}
        )  # fmt: skip
        return (yield from self.put_working_memory(session_id, updated, user_id))

    # The original session routes (/sessions/...).

    def legacy_list_sessions(
        self, page: int = 1, size: int = 10, namespace: str | None = None
    ) -> Op[LegacySessionList]:
        params = {"page": page, "size": size, "namespace": self._namespace(namespace)}
        return parse(LegacySessionList, (yield call("GET", "/sessions/", params)))

    def legacy_get_session_memory(
        self,
        session_id: str,
        namespace: str | None = None,
        user_id: str | None = None,
        window_size: int | None = None,
    ) -> Op[LegacyMemoryResponse]:
        params = {
            "namespace": self._namespace(namespace), "user_id": user_id,
            "window_size": window_size,
        }  # fmt: skip
        return parse(LegacyMemoryResponse, (yield call("GET", LEGACY, params,
                                                       session_id=session_id)))  # fmt: skip

    def legacy_delete_session_memory(
        self, session_id: str, namespace: str | None = None, user_id: str | None = None
    ) -> Op[AckResponse]:
        params = {"namespace": self._namespace(namespace), "user_id": user_id}
        return parse(AckResponse, (yield call("DELETE", LEGACY, params, session_id=session_id)))
