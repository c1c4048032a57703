"""The record <-> Redis hash codec of the long-term store (storage/long_term.py).

Times are stored as epoch seconds (NUMERIC), topics and entities as TAG strings, JSON fields as
text; access statistics live in a separate, unindexed hash per record and are merged on read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
from redis.asyncio import Redis

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.storage.replies import as_str
from agent_memory_server.storage.schema import TAG_SEPARATOR

FIELDS = (
    "memory_id", "text", "session_id", "user_id", "namespace", "memory_type", "topics", "entities",
    "pinned", "access_count", "created_at", "updated_at", "last_accessed", "persisted_at",
    "event_date", "memory_hash", "discrete_memory_extracted", "extracted_from",
    "extraction_strategy", "metadata",
)  # fmt: skip
_TIMES = ("created_at", "updated_at", "last_accessed", "persisted_at", "event_date")
ACCESS_FIELDS = ("last_accessed", "access_count")


def to_hash(record: MemoryRecord, vector: np.ndarray[Any, Any]) -> dict[str, Any]:
    """The hash fields of a record; absent optionals are left out (no tag, no number)."""
    data = record.model_dump(mode="python")
    data["memory_id"] = data.pop("id")  # "id" is the key of a search result document
    fields: dict[str, Any] = {"vector": np.asarray(vector, dtype=np.float32).tobytes()}
    for name in FIELDS:
        value = data.get(name)
        if value is None:
            continue
        if name in _TIMES:
            fields[name] = value.timestamp()
        elif name in ("topics", "entities"):
            clean = [v.replace(TAG_SEPARATOR, "/").strip() for v in value]
            fields[name] = TAG_SEPARATOR.join(v for v in clean if v)
        elif name in ("extracted_from", "metadata"):
            fields[name] = json.dumps(value)
        elif name == "pinned":
            fields[name] = "t" if value else "f"
        else:
            fields[name] = value.value if hasattr(value, "value") else value
    importance = (record.metadata or {}).get("importance")
    if isinstance(importance, int | float) and not isinstance(importance, bool):
        fields["importance"] = float(importance)
    return fields


def with_access(raw: dict[str, Any], access: dict[Any, Any] | list[Any]) -> MemoryRecord:
    """The record of `raw` fields with its access hash (a dict, or a script's flat list)."""
    pairs = (
        access.items() if isinstance(access, dict) else zip(access[::2], access[1::2], strict=True)
    )
    for name, value in pairs:
        field = as_str(name)
        if field in ACCESS_FIELDS and float(value) > float(raw.get(field) or 0):
            raw[field] = value  # the later access (or the higher count) wins
    return from_fields(raw)


def from_fields(raw: dict[str, Any]) -> MemoryRecord:
    """A record from hash or search-result fields (bytes or str values)."""
    data: dict[str, Any] = {}
    for name in FIELDS:
        value = raw.get(name)
        if value is None or (value in (b"", "") and name not in ("text", "topics", "entities")):
            continue
        text = as_str(value)
        if name in _TIMES:
            data[name] = datetime.fromtimestamp(float(text), UTC)
        elif name in ("topics", "entities"):
            data[name] = [v for v in text.split(TAG_SEPARATOR) if v]
        elif name in ("extracted_from", "metadata"):
            data[name] = json.loads(text)
        elif name == "pinned":
            data[name] = text == "t"
        elif name == "access_count":
            data[name] = int(float(text))
        else:
            data[name] = text
    data["id"] = data.pop("memory_id")
    return MemoryRecord.model_validate(data)


async def scan_record_ids(redis: Redis, prefix: str, batch: int) -> list[str]:
    """The memory_id of every record hash under `prefix`, read in pipelined batches."""
    ids: list[str] = []
    keys: list[bytes] = []

    async def flush() -> None:
        async with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hget(key, "memory_id")
            ids.extend(as_str(raw) for raw in await pipe.execute() if raw is not None)
        keys.clear()

    async for key in redis.scan_iter(match=f"{prefix}*", count=batch):
        keys.append(key)
        if len(keys) >= batch:
            await flush()
    await flush()
    return ids
