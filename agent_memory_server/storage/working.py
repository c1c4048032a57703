"""Working-memory store: one RedisJSON document per session, indexed for lookup and listing.

Every write that must not lose a concurrent write is a single MULTI/EXEC transaction or a Lua
script; nothing here reads, modifies in Python and writes back without a guard.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redisvl.query import FilterQuery
from redisvl.query.filter import FilterExpression, Tag

from agent_memory_server.models.working_memory import MemoryMessage, StoredWorkingMemory, dump
from agent_memory_server.storage.keys import Keys
from agent_memory_server.storage.schema import working_memory_schema
from agent_memory_server.storage.search_index import SearchIndex
from agent_memory_server.storage.working_append import AppendResult, SessionAppender
from agent_memory_server.storage.working_replace import Replaced, SessionReplacer, work_per_message
from agent_memory_server.storage.working_scripts import (
    FOLD_SCRIPT,
    MARK_SCRIPT,
    READ_AND_TOUCH,
    SET_IF_EXISTS,
)

# The furthest a listing pages: RediSearch refuses an OFFSET past MAXSEARCHRESULTS (1,000,000).
MAX_LIST_OFFSET = 1_000_000


@dataclass(frozen=True)
class SessionRef:
    """Where a session lives: its namespace and its key."""

    namespace: str | None
    session_id: str
    key: str


def timestamps(now: datetime) -> dict[str, Any]:
    """The indexed numeric twins of the ISO timestamps."""
    return {"updated_ts": now.timestamp(), "updated_at": now.isoformat()}


def _twins(session: StoredWorkingMemory, **extra: Any) -> dict[str, Any]:
    """The stored JSON's fields beside the session's own: the indexed numeric twins of its
    times, and `extra`."""
    return {
        "created_ts": session.created_at.timestamp(),
        "updated_ts": session.updated_at.timestamp(),
        **extra,
    }


def _document(session: StoredWorkingMemory, **extra: Any) -> dict[str, Any]:
    """The stored JSON of a session: its fields and the indexed numeric twins of its times."""
    return {**dump(session, StoredWorkingMemory), **_twins(session, **extra)}


_STORED_FIELDS = set(StoredWorkingMemory.model_fields)


def _document_json(session: StoredWorkingMemory, **extra: Any) -> str:
    """`_document` as JSON text, serialized by pydantic (a PUT of 100 messages spent 0.3 ms
    in `model_dump` and `json.dumps` of the dict)."""
    fields = session.model_dump_json(include=_STORED_FIELDS)
    return f"{fields[:-1]},{json.dumps(_twins(session, **extra))[1:]}"


class WorkingMemoryStore:
    """Atomic get / put / append / fold / delete / list of sessions."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self.index = SearchIndex(working_memory_schema(keys), redis_client=redis)
        # redis-py builds a new command object (and its callback table) on every .json():
        # one for direct commands, and one per pipeline.
        self._json = redis.json()
        self._fold = redis.register_script(FOLD_SCRIPT)
        self._mark = redis.register_script(MARK_SCRIPT)
        self._set_if_exists = redis.register_script(SET_IF_EXISTS)
        self._read_and_touch = redis.register_script(READ_AND_TOUCH)
        self._replace = SessionReplacer(redis)
        self._append = SessionAppender(redis)

    async def create_index(self) -> None:
        if not await self.index.exists():
            await self.index.create(overwrite=False)

    def summarization_task_key(self, ref: SessionRef) -> str:
        """The scheduler's task key of a session's summarization: one pending per session."""
        return self.keys.summarization_task(ref.namespace, ref.session_id)

    def ref(self, namespace: str | None, session_id: str) -> SessionRef:
        return SessionRef(namespace, session_id, self.keys.working_memory(namespace, session_id))

    async def find(self, session_id: str, user_id: str | None = None) -> list[SessionRef]:
        """Every namespace holding a session with this id (optionally owned by user_id)."""
        expression: FilterExpression = Tag("session_id") == session_id
        if user_id is not None:
            expression = expression & (Tag("user_id") == user_id)
        query = FilterQuery(expression, return_fields=["namespace"], num_results=100)
        query.paging(0, 100)
        result = await self.index.search(query.query, query_params=query.params)
        refs = []
        for doc in result.docs:
            key = doc.id.decode() if isinstance(doc.id, bytes) else str(doc.id)
            raw = getattr(doc, "namespace", None)
            namespace = None if raw in (None, "", b"") else _decode(raw)
            refs.append(SessionRef(namespace, session_id, key))
        return refs

    async def get(self, ref: SessionRef) -> dict[str, Any] | None:
        doc = await self._json.get(ref.key)
        return doc if isinstance(doc, dict) else None

    async def fields(self, ref: SessionRef, *names: str) -> dict[str, Any] | None:
        """Some top-level fields of a session in one round trip; None if it does not exist."""
        paths = [f"$.{name}" for name in names]
        raw: Any = await self._json.get(ref.key, *paths)
        if not raw:
            return None
        if len(paths) == 1:
            return {names[0]: raw[0] if raw else None}
        return {
            name: (raw[path][0] if raw.get(path) else None)
            for name, path in zip(names, paths, strict=True)
        }

    async def mark_queued(
        self, ref: SessionRef, user_id: str | None, caller: str | None, seconds: int
    ) -> bool:
        """Mark that a processing task of the session is queued by `caller`; False if one
        already is (its run has not started, so it will read the session as it is now: no need
        for another)."""
        key = self.keys.session_queued(ref.namespace, user_id, ref.session_id, caller)
        return bool(await self.redis.set(key, b"1", nx=True, ex=seconds))

    async def clear_queued(self, ref: SessionRef, user_id: str | None, caller: str | None) -> None:
        """The queued processing task starts: a write from now on must queue another."""
        key = self.keys.session_queued(ref.namespace, user_id, ref.session_id, caller)
        await self.redis.delete(key)

    async def replace(
        self, ref: SessionRef, session: StoredWorkingMemory, ttl_seconds: int | None, *,
        model_name: str | None, bound_user: str | None, may_keep: list[int],
        stored_window: bool, unextracted: int,
        queued: tuple[str | None, str | None, int] | None = None,
        work: tuple[bool, bool] = (True, True),
    ) -> Replaced:  # fmt: skip
        """Replace the whole session unless the stored one is another user's (`bound_user`:
        the user a bound caller is confined to), keeping its creation time, its window if
        `stored_window`, and the pipeline's marks of the messages sent back (`may_keep`), with
        `mark_queued` (`queued`: user_id, caller, seconds) in the same round trip
        (storage/working_replace.py), unless the session leaves its processing nothing to do:
        no carried memory to promote, no message to extract or index (`work`: whether runs
        extract and index messages) once the kept marks are counted."""
        user_id, caller, seconds = queued if queued is not None else (session.user_id, None, None)
        return await self._replace(
            ref.key, self.keys.session_queued(ref.namespace, user_id, ref.session_id, caller),
            _document_json(session, model_name=model_name), owner=session.user_id,
            bound_user=bound_user, ttl_seconds=ttl_seconds, marker_seconds=seconds,
            may_keep=may_keep, stored_window=stored_window, unextracted=unextracted,
            pending=session.extraction_status is not None,
            work=work_per_message(session.messages, extraction=work[0], indexing=work[1]),
            promote=any(m.persisted_at is None for m in session.memories),
        )  # fmt: skip

    async def append(
        self, ref: SessionRef, fresh: StoredWorkingMemory, messages: Sequence[MemoryMessage],
        tokens: int, context: str | None, now: datetime, ttl_seconds: int | None, *,
        bound_user: str | None, window: int | None,
        queued: tuple[str | None, str | None, int] | None = None,
    ) -> AppendResult:  # fmt: skip
        """Append messages in one round trip (storage/working_append.py); creates the session
        as `fresh` if missing, unless the stored one is another user's (`bound_user`: the user
        a bound caller is confined to). `window`: the one the request names, stored.
        `queued`: as `replace`'s."""
        user_id, caller, seconds = queued if queued is not None else (fresh.user_id, None, None)
        stamps = timestamps(now)
        return await self._append(
            ref.key, self.keys.session_queued(ref.namespace, user_id, ref.session_id, caller),
            _document(fresh), [dump(m) for m in messages], writer=fresh.user_id,
            bound_user=bound_user, tokens=tokens,
            times=(stamps["updated_ts"], stamps["updated_at"], now.isoformat()),
            context=context, ttl_seconds=ttl_seconds, marker_seconds=seconds, window=window,
        )  # fmt: skip

    async def read(
        self, ref: SessionRef, now: datetime, touch: bool, owner: str | None = None
    ) -> str | bytes | None:
        """The session's JSON as stored, with its access recorded in the same step
        (last_accessed; a TTL renewed) when `touch` and, if `owner` is given, the session is
        that user's. Left unparsed: the caller validates it straight into its model."""
        mode = "-" if not touch else "*" if owner is None else "="
        raw: str | bytes | None = await self._read_and_touch(
            keys=[ref.key], args=[mode, owner or "", json.dumps(now.isoformat())]
        )
        return raw

    async def set_window(self, ref: SessionRef, window: int) -> None:
        await self._json.set(ref.key, "$.context_window_max", window, xx=True)

    async def fold(
        self,
        ref: SessionRef,
        first_id: str,
        last_id: str,
        count: int,
        expected_context: str | None,
        summary: str,
        tokens_delta: int,
    ) -> bool:
        """Replace the first `count` messages with `summary` if nothing moved meanwhile."""
        done = await self._fold(
            keys=[ref.key],
            args=[
                count,
                json.dumps([first_id]),
                json.dumps([last_id]),
                json.dumps([expected_context]),
                json.dumps(summary),
                tokens_delta,
            ],
        )
        return bool(done)

    async def mark(
        self, ref: SessionRef, array: str, ids: list[str], field: str, value: Any
    ) -> None:
        """Set `field` on the items of `array` (messages or memories) with these ids.

        JSONPath filters address items by id, so items appended or replaced meanwhile are
        left as they are; an id no longer present is simply not marked.
        """
        if ids:
            await self._mark(
                keys=[ref.key], args=[array, field, json.dumps(value), json.dumps(list(ids))]
            )

    async def set_field(self, ref: SessionRef, field: str, value: Any) -> None:
        """Set one top-level field if the session still exists."""
        await self._set_if_exists(keys=[ref.key], args=[f"$.{field}", json.dumps(value)])

    async def delete(self, ref: SessionRef) -> bool:
        return bool(await self.redis.delete(ref.key))

    async def delete_many(self, refs: Sequence[SessionRef], batch: int = 1000) -> int:
        """Delete sessions, one pipelined round trip per batch; returns how many existed."""
        deleted = 0
        for first in range(0, len(refs), batch):
            async with self.redis.pipeline(transaction=False) as pipe:
                for ref in refs[first : first + batch]:
                    pipe.delete(ref.key)  # one key a command: keys of any cluster slot
                deleted += sum(int(n) for n in await pipe.execute())
        return deleted

    async def owned_by(
        self, user_id: str, namespace: str | None, batch: int = 1000
    ) -> list[SessionRef]:
        """Every session of a user (in one namespace, or all)."""
        expression: FilterExpression = Tag("user_id") == user_id
        if namespace is not None:
            expression = expression & (Tag("namespace") == namespace)
        refs: list[SessionRef] = []
        while True:
            query = FilterQuery(expression, return_fields=["namespace", "session_id"])
            query.paging(len(refs), batch)
            result = await self.index.search(query.query, query_params=query.params)
            for doc in result.docs:
                raw = getattr(doc, "namespace", None)
                space = None if raw in (None, "", b"") else _decode(raw)
                session_id = _decode(getattr(doc, "session_id", ""))  # the key is what counts
                refs.append(SessionRef(space, session_id, _decode(doc.id)))
            if not result.docs or len(refs) >= int(result.total):
                return refs

    async def list(
        self, namespaces: Sequence[str] | None, user_id: str | None, offset: int, limit: int
    ) -> tuple[list[str], int]:
        """Session ids in any of `namespaces` (None: all), oldest first, with the true total."""
        expression = _sessions_of(namespaces, user_id)
        query = FilterQuery(expression, return_fields=["session_id"], sort_by=("created_ts", "ASC"))
        query.paging(offset, limit)
        result = await self.index.search(query.query, query_params=query.params)
        # A session that expired while the query ran comes back without its fields: skip it.
        ids = [_decode(doc.session_id) for doc in result.docs if hasattr(doc, "session_id")]
        return ids, int(result.total)

    async def overview(
        self, namespaces: Sequence[str] | None, user_id: str | None, offset: int, limit: int
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        """A page of sessions (newest update first) as their small fields, the number of
        messages and the seconds left to live; read without recording an access."""
        expression = _sessions_of(namespaces, user_id)
        query = FilterQuery(
            expression, return_fields=["session_id"], sort_by=("updated_ts", "DESC")
        )
        query.paging(offset, limit)
        result = await self.index.search(query.query, query_params=query.params)
        keys = [_decode(doc.id) for doc in result.docs]
        paths = [f"$.{name}" for name in OVERVIEW_FIELDS]
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.json().get(key, *paths)
                pipe.json().arrlen(key, "$.messages")
                pipe.ttl(key)
            replies = await pipe.execute()
        rows: builtins.list[dict[str, Any]] = []
        for i in range(len(keys)):
            fields, lengths, ttl = replies[3 * i : 3 * i + 3]
            if not fields:  # expired or deleted while the query ran
                continue
            row = {n: (fields[p][0] if fields.get(p) else None) for n, p in zip(
                OVERVIEW_FIELDS, paths, strict=True)}  # fmt: skip
            row["message_count"] = int((lengths or [0])[0] or 0)
            row["expires_in_seconds"] = int(ttl) if ttl is not None and int(ttl) >= 0 else None
            rows.append(row)
        return rows, int(result.total)


OVERVIEW_FIELDS = (
    "session_id", "namespace", "user_id", "tokens", "context_window_max", "ttl_seconds",
    "created_at", "updated_at", "last_accessed", "extraction_status", "context",
)  # fmt: skip


def _sessions_of(namespaces: Sequence[str] | None, user_id: str | None) -> FilterExpression | str:
    """The filter of a listing: any of `namespaces` (None: all) and `user_id` (None: any)."""
    expression: FilterExpression | str = "*"
    if namespaces is not None:
        expression = Tag("namespace") == list(namespaces)
    if user_id is not None:
        user = Tag("user_id") == user_id
        expression = user if isinstance(expression, str) else expression & user
    return expression


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
