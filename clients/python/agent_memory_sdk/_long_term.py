"""Long-term memory operations: create, get, edit, delete, search, forget, compact, prompt."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from agent_memory_sdk._base import OpsBase
from agent_memory_sdk._core import Op, Sleep, call, parse, received
from agent_memory_sdk.exceptions import MemoryValidationError
from agent_memory_sdk.filters import FilterArg, filter_json
from agent_memory_sdk.models import (
    AckResponse,
    CompactResponse,
    FacetResponse,
    ForgetPolicy,
    ForgetResponse,
    MemoryPromptResponse,
    MemoryRecord,
    MemoryRecordResults,
    RecencyConfig,
    SearchMode,
    TopicModelResponse,
)

LTM = "/v1/long-term-memory/{memory_id}"


class LongTermOps(OpsBase):
    def create_long_term_memory(
        self, memories: Sequence[MemoryRecord], deduplicate: bool = True
    ) -> Op[AckResponse]:
        """Store memories; they are searchable when this returns."""
        body = [m.model_dump(mode="json", exclude_none=True) for m in memories]
        for record in body:
            if record.get("namespace") is None and self.config.default_namespace is not None:
                record["namespace"] = self.config.default_namespace
        reply = yield call(
            "POST", "/v1/long-term-memory/", json={"memories": body, "deduplicate": deduplicate}
        )
        return parse(AckResponse, reply)

    def bulk_create_long_term_memories(
        self,
        memory_batches: Sequence[Sequence[MemoryRecord]],
        batch_size: int = 100,
        delay_between_batches: float = 0.1,
    ) -> Op[list[AckResponse]]:
        """Create memories in requests of at most batch_size, pausing between them."""
        acks: list[AckResponse] = []
        for batch in memory_batches:
            for start in range(0, len(batch), batch_size):
                acks.append((yield from self.create_long_term_memory(
                    batch[start : start + batch_size]
                )))  # fmt: skip
                if delay_between_batches > 0:
                    yield Sleep(delay_between_batches)
        return acks

    def get_long_term_memory(self, memory_id: str) -> Op[MemoryRecord]:
        return parse(MemoryRecord, (yield call("GET", LTM, memory_id=memory_id)))

    def edit_long_term_memory(self, memory_id: str, updates: dict[str, Any]) -> Op[MemoryRecord]:
        """Edit text, topics, entities, type, owner fields, event date, pin or metadata."""
        body = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in updates.items()}
        return parse(MemoryRecord, (yield call("PATCH", LTM, json=body, memory_id=memory_id)))

    def delete_long_term_memories(self, memory_ids: Sequence[str]) -> Op[AckResponse]:
        params = {"memory_ids": list(memory_ids)}
        return parse(AckResponse, (yield call("DELETE", "/v1/long-term-memory", params)))

    def long_term_facets(
        self,
        fields: Sequence[str] = ("topics", "entities", "memory_type"),
        namespace: FilterArg = None,
        user_id: FilterArg = None,
        session_id: FilterArg = None,
        topics: FilterArg = None,
        entities: FilterArg = None,
        memory_type: FilterArg = None,
        limit: int = 20,
    ) -> Op[FacetResponse]:
        """How many of the memories the filters match carry each value of `fields` (topics,
        entities, memory_type, namespace, user_id, session_id), most frequent first."""
        if namespace is None and self.config.default_namespace is not None:
            namespace = {"eq": self.config.default_namespace}
        filters = {
            "namespace": namespace, "user_id": user_id, "session_id": session_id,
            "topics": topics, "entities": entities, "memory_type": memory_type,
        }  # fmt: skip
        body: dict[str, Any] = {"fields": list(fields), "limit": limit}
        body.update({k: filter_json(v) for k, v in filters.items() if v is not None})
        reply = yield call("POST", "/v1/long-term-memory/facets", json=body)
        return parse(FacetResponse, reply)

    def _search_body(
        self,
        text: str,
        session_id: FilterArg,
        namespace: FilterArg,
        topics: FilterArg,
        entities: FilterArg,
        created_at: FilterArg,
        last_accessed: FilterArg,
        user_id: FilterArg,
        distance_threshold: float | None,
        memory_type: FilterArg,
        recency: RecencyConfig | None,
        limit: int,
        offset: int,
        event_date: FilterArg,
        search_mode: SearchMode,
        hybrid_alpha: float | None,
        importance_weight: float | None,
    ) -> dict[str, Any]:
        if namespace is None and self.config.default_namespace is not None:
            namespace = {"eq": self.config.default_namespace}
        filters = {
            "session_id": session_id, "namespace": namespace, "topics": topics,
            "entities": entities, "created_at": created_at, "last_accessed": last_accessed,
            "user_id": user_id, "memory_type": memory_type, "event_date": event_date,
        }  # fmt: skip
        body: dict[str, Any] = {"text": text, "limit": limit, "offset": offset,
                                "search_mode": search_mode}  # fmt: skip
        for name, value in filters.items():
            given = filter_json(value)
            if given is not None:
                body[name] = given
        extras = {"distance_threshold": distance_threshold, "hybrid_alpha": hybrid_alpha,
                  "importance_weight": importance_weight}  # fmt: skip
        body.update({k: v for k, v in extras.items() if v is not None})
        if recency is not None:
            body.update(recency.to_json())
        return body

    def search_long_term_memory(
        self,
        text: str,
        session_id: FilterArg = None,
        namespace: FilterArg = None,
        topics: FilterArg = None,
        entities: FilterArg = None,
        created_at: FilterArg = None,
        last_accessed: FilterArg = None,
        user_id: FilterArg = None,
        distance_threshold: float | None = None,
        memory_type: FilterArg = None,
        recency: RecencyConfig | None = None,
        limit: int = 10,
        offset: int = 0,
        optimize_query: bool = False,
        *,
        event_date: FilterArg = None,
        search_mode: SearchMode = "semantic",
        hybrid_alpha: float | None = None,
        importance_weight: float | None = None,
    ) -> Op[MemoryRecordResults]:
        """Semantic, keyword or hybrid search with filters; empty text lists newest first.

        `next_offset` of the answer is the offset of the next page (None on the last)."""
        body = self._search_body(
            text, session_id, namespace, topics, entities, created_at, last_accessed, user_id,
            distance_threshold, memory_type, recency, limit, offset, event_date, search_mode,
            hybrid_alpha, importance_weight,
        )  # fmt: skip
        params = {"optimize_query": optimize_query}
        reply = yield call("POST", "/v1/long-term-memory/search", params, body)
        return parse(MemoryRecordResults, reply)

    def legacy_search_long_term_memory(
        self, /, text: str, limit: int = 10, offset: int = 0, **filters: Any
    ) -> Op[MemoryRecordResults]:
        """The original POST /long-term-memory/search: a raw body of the same fields."""
        body: dict[str, Any] = {"text": text, "limit": limit, "offset": offset}
        for name, value in filters.items():
            body[name] = filter_json(value) if isinstance(value, dict) else value
        reply = yield call("POST", "/long-term-memory/search", json=body)
        return parse(MemoryRecordResults, reply)

    def forget_long_term_memories(
        self,
        policy: ForgetPolicy,
        namespace: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        limit: int | None = None,
        dry_run: bool = False,
        pinned_ids: list[str] | None = None,
    ) -> Op[ForgetResponse]:
        """Forget by age, inactivity or budget; pinned memories are kept."""
        params = {
            "namespace": namespace, "user_id": user_id, "session_id": session_id,
            "limit": limit, "dry_run": dry_run,
        }  # fmt: skip
        body = {"policy": policy.model_dump(exclude_none=True), "pinned_ids": pinned_ids or []}
        reply = yield call("POST", "/v1/long-term-memory/forget", params, body)
        return parse(ForgetResponse, reply)

    def compact_long_term_memories(
        self, namespace: str | None = None, user_id: str | None = None
    ) -> Op[CompactResponse]:
        """Remove exact duplicates and merge near-duplicates of a namespace and user."""
        params = {"namespace": namespace, "user_id": user_id}
        return parse(CompactResponse, (yield call("POST", "/v1/long-term-memory/compact", params)))

    def model_long_term_topics(
        self,
        namespace: str | None = None,
        user_id: str | None = None,
        min_topic_size: int = 5,
        apply: bool = False,
    ) -> Op[TopicModelResponse]:
        """Topics of a scope's memories (FeatureUnavailableError without the server extra)."""
        body = {"namespace": namespace, "user_id": user_id, "min_topic_size": min_topic_size,
                "apply": apply}  # fmt: skip
        reply = yield call("POST", "/v1/long-term-memory/topics", json=body)
        return parse(TopicModelResponse, reply)

    def promote_working_memories_to_long_term(
        self, session_id: str, memory_ids: Sequence[str] | None = None, namespace: str | None = None
    ) -> Op[AckResponse]:
        """Copy a session's structured memories (or those named) to long-term memory now."""
        reply = yield call(
            "GET", "/v1/working-memory/{session_id}", {"namespace": self._namespace(namespace)},
            session_id=session_id,
        )  # fmt: skip
        records = [
            MemoryRecord.model_validate(m)
            for m in received(reply).body.get("memories", [])
            if memory_ids is None or m["id"] in memory_ids
        ]
        if not records:
            return AckResponse(status="ok")
        return (yield from self.create_long_term_memory(records))

    def _prompt_body(
        self,
        query: str,
        session_id: str | None,
        namespace: str | None,
        model_name: str | None,
        context_window_max: int | None,
        long_term_search: dict[str, Any] | bool | None,
        user_id: str | None,
    ) -> dict[str, Any]:
        if not query:
            raise MemoryValidationError("a memory prompt needs a query")
        body: dict[str, Any] = {"query": query}
        if session_id is not None:
            session = {
                "session_id": session_id,
                "namespace": self._namespace(namespace),
                "user_id": user_id,
                **self._window(model_name, context_window_max),
            }
            body["session"] = {k: v for k, v in session.items() if v is not None}
        if isinstance(long_term_search, dict):
            search = dict(long_term_search)
            default = self._namespace(namespace)
            if "namespace" not in search and default is not None:
                search["namespace"] = {"eq": default}
            for name in ("session_id", "namespace", "topics", "entities", "created_at",
                         "last_accessed", "user_id", "memory_type", "event_date"):  # fmt: skip
                if isinstance(search.get(name), dict):
                    search[name] = filter_json(search[name])
            body["long_term_search"] = search
        elif long_term_search is not None:
            body["long_term_search"] = long_term_search
        return body

    def memory_prompt(
        self,
        query: str,
        session_id: str | None = None,
        namespace: str | None = None,
        model_name: str | None = None,
        context_window_max: int | None = None,
        long_term_search: dict[str, Any] | bool | None = None,
        user_id: str | None = None,
        optimize_query: bool = False,
    ) -> Op[dict[str, Any]]:
        """Messages for your model: session summary and messages, relevant memories, query.

        Returns the JSON answer as a dict, as 0.14 did; build_memory_prompt is the typed twin."""
        body = self._prompt_body(query, session_id, namespace, model_name, context_window_max,
                                 long_term_search, user_id)  # fmt: skip
        reply = yield call("POST", "/v1/memory/prompt", {"optimize_query": optimize_query}, body)
        answer: dict[str, Any] = received(reply).body
        return answer

    def build_memory_prompt(
        self,
        query: str,
        session_id: str | None = None,
        namespace: str | None = None,
        model_name: str | None = None,
        context_window_max: int | None = None,
        long_term_search: dict[str, Any] | bool | None = None,
        user_id: str | None = None,
    ) -> Op[MemoryPromptResponse]:
        """memory_prompt, answered as a MemoryPromptResponse."""
        answer = yield from self.memory_prompt(
            query, session_id, namespace, model_name, context_window_max, long_term_search, user_id
        )
        return MemoryPromptResponse.model_validate(answer)

    def hydrate_memory_prompt(
        self,
        query: str,
        session_id: dict[str, Any] | None = None,
        namespace: dict[str, Any] | None = None,
        topics: dict[str, Any] | None = None,
        entities: dict[str, Any] | None = None,
        created_at: dict[str, Any] | None = None,
        last_accessed: dict[str, Any] | None = None,
        user_id: dict[str, Any] | None = None,
        distance_threshold: float | None = None,
        memory_type: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        optimize_query: bool = False,
    ) -> Op[dict[str, Any]]:
        """A memory prompt from long-term memory only, with these filters."""
        search: dict[str, Any] = {"limit": limit, "offset": offset}
        given = {
            "session_id": session_id, "namespace": namespace, "topics": topics,
            "entities": entities, "created_at": created_at, "last_accessed": last_accessed,
            "user_id": user_id, "distance_threshold": distance_threshold,
            "memory_type": memory_type,
        }  # fmt: skip
        search.update({k: v for k, v in given.items() if v is not None})
        return (yield from self.memory_prompt(query, long_term_search=search,
                                              optimize_query=optimize_query))  # fmt: skip
