"""A LangGraph `BaseStore` over the server's long-term memory (extra `[langgraph]`).

How LangGraph's items map onto memory records:

- namespace[0] is the server namespace; namespace[user_position] (default 1), when the tuple is
  that long, is the owner (user_id), so the server's tenant rules and per-user erasure apply;
- the whole namespace tuple, the key and the value are kept in the record's metadata; the
  record's topics carry one `lg:<a>/<b>...` tag per prefix of the tuple, which is what a
  search by namespace prefix filters on;
- the record id is derived from (namespace, key), so a put replaces and a get is one lookup;
- the text that is embedded is the value's indexed fields (`index=` of put, else the store's
  `index_fields`, default the whole value), one `field: value` line each;
- records are pinned: compaction and forgetting leave them alone, as a key-value store must;
- `ttl` (minutes) is kept as an expiry in the metadata: expired items are not returned and are
  deleted when met; a get with refresh_ttl moves the expiry.

`filter` of a search is applied to the values here, after the server's search (which
filters on the namespace prefix); list_namespaces pages through the matching records.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from langgraph.store.base import (
    BaseStore,
    GetOp,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
)

from agent_memory_sdk._core import Call, MemoryClientConfig, call, received
from agent_memory_sdk._core import Op as ClientOp
from agent_memory_sdk.client import MemoryAPIClient
from agent_memory_sdk.models import MemoryRecord, MemoryRecordResult, MemoryTypeEnum
from agent_memory_sdk.operations import Operations
from agent_memory_sdk.sync import SyncMemoryAPIClient

TAG = "lg:"
PAGE = 100
MAX_OFFSET = 10_000
NOT_FOUND = frozenset({404})
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": lambda a, b: bool(a == b),
    "$ne": lambda a, b: bool(a != b),
    "$gt": lambda a, b: a is not None and bool(a > b),
    "$gte": lambda a, b: a is not None and bool(a >= b),
    "$lt": lambda a, b: a is not None and bool(a < b),
    "$lte": lambda a, b: a is not None and bool(a <= b),
}


def record_id(namespace: tuple[str, ...], key: str) -> str:
    """The id of the record of (namespace, key): stable, unique, a valid server identifier."""
    joined = "\x1f".join(namespace) + "\x1e" + key
    return "lg-" + hashlib.sha256(joined.encode()).hexdigest()[:40]


def prefix_tag(prefix: Sequence[str]) -> str:
    tag = TAG + "/".join(prefix)
    return tag if len(tag) <= 200 else TAG + "#" + hashlib.sha256(tag.encode()).hexdigest()


def _field(value: Any, path: str) -> list[Any]:
    """The values at a path: `a.b`, `a[0]`, `a[-1]`, `a[*].b`; `$` is the whole value."""
    if path == "$":
        return [value]
    found = [value]
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        step: list[Any] = []
        for item in found:
            if part.startswith("[") and isinstance(item, list):
                index = part[1:-1]
                step.extend(item if index == "*" else item[int(index) : int(index) + 1 or None])
            elif isinstance(item, dict) and part in item:
                step.append(item[part])
        found = step
    return found


def index_text(value: Mapping[str, Any], fields: Sequence[str]) -> str:
    lines: list[str] = []
    for path in fields:
        for found in _field(dict(value), path):
            if path == "$" and isinstance(found, dict):
                lines.extend(
                    f"{k}: {v if isinstance(v, str) else json.dumps(v)}" for k, v in found.items()
                )
            else:
                lines.append(found if isinstance(found, str) else json.dumps(found))
    return "\n".join(lines) or json.dumps(dict(value), sort_keys=True)


def matches(value: Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
    for name, wanted in conditions.items():
        have = value.get(name)
        if isinstance(wanted, dict) and wanted and all(k in _COMPARE for k in wanted):
            if not all(_COMPARE[op](have, bound) for op, bound in wanted.items()):
                return False
        elif have != wanted:
            return False
    return True


def _namespace_matches(namespace: tuple[str, ...], condition: MatchCondition) -> bool:
    path = tuple(condition.path)
    if len(path) > len(namespace):
        return False
    part = namespace[: len(path)] if condition.match_type == "prefix" else namespace[-len(path) :]
    return all(p in ("*", n) for p, n in zip(path, part, strict=True))


class AgentMemoryStore(BaseStore):
    """LangGraph long-term memory kept in agent-memory-server.

    store = AgentMemoryStore(MemoryClientConfig(base_url="http://localhost:8000"))
    graph = builder.compile(store=store)
    """

    supports_ttl: bool = True

    def __init__(
        self,
        config: MemoryClientConfig,
        *,
        user_position: int | None = 1,
        index_fields: Sequence[str] = ("$",),
    ) -> None:
        # Namespaces come from the items' tuples: a default namespace would hide the others.
        self.config = config.model_copy(update={"default_namespace": None})
        self.user_position = user_position
        self.index_fields = list(index_fields)
        self._ops = Operations(self.config)
        self._sync: SyncMemoryAPIClient | None = None

    # The two drivers: every op below is one generator run by either.

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        if self._sync is None:
            self._sync = SyncMemoryAPIClient(self.config)
        return [self._sync.run(self._op(op)) for op in ops]

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        # An httpx.AsyncClient belongs to the event loop it was made in, and a store outlives
        # loops (a script calling asyncio.run per request): each batch has a client of its own,
        # closed with it, so no connection outlives its loop.
        async with MemoryAPIClient(self.config) as client:
            return [await client.run(self._op(op)) for op in ops]

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Nothing to close: each async batch closes its own client."""

    def _op(self, op: Op) -> ClientOp[Result]:
        if isinstance(op, GetOp):
            return self._get(op)
        if isinstance(op, SearchOp):
            return self._search(op)
        if isinstance(op, PutOp):
            return self._put(op)
        return self._list_namespaces(op)

    # Mapping

    def _owner(self, namespace: tuple[str, ...]) -> str | None:
        position = self.user_position
        return namespace[position] if position is not None and len(namespace) > position else None

    def _record(
        self, op: PutOp, value: Mapping[str, Any], created: datetime | None
    ) -> MemoryRecord:
        namespace = tuple(op.namespace)
        fields = self.index_fields if op.index is None or op.index is False else op.index
        metadata: dict[str, Any] = {
            "langgraph": {"namespace": list(namespace), "key": op.key, "value": dict(value)}
        }
        if op.ttl is not None:
            metadata["langgraph"]["ttl_minutes"] = op.ttl
            metadata["langgraph"]["expires_at"] = time.time() + op.ttl * 60
        extra = {} if created is None else {"created_at": created}
        return MemoryRecord(
            id=record_id(namespace, op.key), text=index_text(value, fields),
            namespace=namespace[0], user_id=self._owner(namespace),
            memory_type=MemoryTypeEnum.SEMANTIC, pinned=True, metadata=metadata,
            topics=[prefix_tag(namespace[:n]) for n in range(1, len(namespace) + 1)], **extra,
        )  # fmt: skip

    @staticmethod
    def _item(record: MemoryRecord) -> Item | None:
        stored = (record.metadata or {}).get("langgraph")
        if not isinstance(stored, dict):
            return None
        return Item(
            value=stored["value"], key=stored["key"], namespace=tuple(stored["namespace"]),
            created_at=record.created_at, updated_at=record.updated_at,
        )  # fmt: skip

    @staticmethod
    def _expired(record: MemoryRecord) -> bool:
        expires = ((record.metadata or {}).get("langgraph") or {}).get("expires_at")
        return expires is not None and expires < time.time()

    # Operations

    def _fetch(self, namespace: tuple[str, ...], key: str) -> ClientOp[MemoryRecord | None]:
        found: Call = call("GET", "/v1/long-term-memory/{memory_id}", answers=NOT_FOUND,
                           memory_id=record_id(namespace, key))  # fmt: skip
        reply = received((yield found))
        return None if reply.status == 404 else MemoryRecord.model_validate(reply.body)

    def _get(self, op: GetOp) -> ClientOp[Result]:
        record = yield from self._fetch(tuple(op.namespace), op.key)
        if record is None:
            return None
        if self._expired(record):
            yield from self._ops.delete_long_term_memories([record.id])
            return None
        stored = (record.metadata or {})["langgraph"]
        if op.refresh_ttl and stored.get("ttl_minutes") is not None:
            stored["expires_at"] = time.time() + stored["ttl_minutes"] * 60
            record = yield from self._ops.edit_long_term_memory(
                record.id, {"metadata": record.metadata}
            )
        return self._item(record)

    def _put(self, op: PutOp) -> ClientOp[Result]:
        old = yield from self._fetch(tuple(op.namespace), op.key)
        if op.value is None:
            if old is not None:
                yield from self._ops.delete_long_term_memories([old.id])
            return None
        record = self._record(op, op.value, None if old is None else old.created_at)
        yield from self._ops.create_long_term_memory([record], deduplicate=False)
        return None

    def _page(self, query: str | None, prefix: tuple[str, ...], offset: int) -> ClientOp[Any]:
        topics = {"eq": prefix_tag(prefix)} if prefix else None
        namespace = {"eq": prefix[0]} if prefix else None
        page = yield from self._ops.search_long_term_memory(
            query or "", namespace=namespace, topics=topics, limit=PAGE, offset=offset
        )
        return page

    def _search(self, op: SearchOp) -> ClientOp[Result]:
        prefix = tuple(op.namespace_prefix)
        wanted = op.offset + op.limit
        hits: list[SearchItem] = []
        expired: list[str] = []
        offset: int | None = 0
        while offset is not None and offset <= MAX_OFFSET and len(hits) < wanted:
            page = yield from self._page(op.query, prefix, offset)
            for result in page.memories:
                hit = self._hit(result, prefix, op.filter, bool(op.query))
                if hit is None:
                    continue
                if self._expired(result):
                    expired.append(result.id)
                else:
                    hits.append(hit)
            offset = page.next_offset
        if expired:
            yield from self._ops.delete_long_term_memories(expired)
        return hits[op.offset : wanted]

    def _hit(
        self,
        result: MemoryRecordResult,
        prefix: tuple[str, ...],
        conditions: Mapping[str, Any] | None,
        scored: bool,
    ) -> SearchItem | None:
        item = self._item(result)
        if item is None or item.namespace[: len(prefix)] != prefix:
            return None
        if conditions and not matches(item.value, conditions):
            return None
        return SearchItem(
            namespace=item.namespace, key=item.key, value=item.value,
            created_at=item.created_at, updated_at=item.updated_at,
            score=result.score if scored else None,
        )  # fmt: skip

    def _list_namespaces(self, op: ListNamespacesOp) -> ClientOp[Result]:
        conditions = tuple(op.match_conditions or ())
        prefixes = [c.path for c in conditions if c.match_type == "prefix" and "*" not in c.path]
        prefix = tuple(prefixes[0]) if prefixes else ()
        seen: set[tuple[str, ...]] = set()
        offset: int | None = 0
        while offset is not None and offset <= MAX_OFFSET:
            page = yield from self._page(None, prefix, offset)
            for result in page.memories:
                item = self._item(result)
                if item is None or not all(
                    _namespace_matches(item.namespace, c) for c in conditions
                ):
                    continue
                depth = op.max_depth
                seen.add(item.namespace if depth is None else item.namespace[:depth])
            offset = page.next_offset
        ordered = sorted(seen)
        return ordered[op.offset : op.offset + op.limit]
