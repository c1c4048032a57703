"""What hybrid ranking reads of its candidates beyond what the search legs return, in one
pipelined round trip: the stored vector of a keyword-only candidate (min-max fusion needs its
cosine), the text (content-word coverage, length) and metadata's role (the assistant rule).
One HMGET per candidate, of only the fields asked for."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from redis.asyncio import Redis

from agent_memory_server.storage.replies import as_str


@dataclass(frozen=True)
class RankRead:
    """One candidate's fields (None where not asked for, or the record is gone)."""

    vector: np.ndarray[Any, Any] | None = None
    text: str | None = None
    length: int | None = None  # the text's length in bytes
    role: str | None = None  # metadata.role, when a string


def _role(raw: bytes | str | None) -> str | None:
    if raw is None:
        return None
    try:
        metadata = json.loads(as_str(raw))
    except ValueError:
        return None
    role = metadata.get("role") if isinstance(metadata, dict) else None
    return role if isinstance(role, str) else None


async def rank_reads(
    redis: Redis, keys: Sequence[str], vectors: Sequence[bool], text: bool, role: bool,
) -> list[RankRead]:  # fmt: skip
    """For each record hash key: its vector where `vectors` says so, its text and length
    (`text`), its metadata's role (`role`)."""
    fields = [*(["text"] if text else []), *(["metadata"] if role else [])]
    asked = [i for i, with_vector in enumerate(vectors) if fields or with_vector]
    rows: list[list[Any]] = [[] for _ in keys]
    if asked:
        async with redis.pipeline(transaction=False) as pipe:
            for i in asked:
                pipe.hmget(keys[i], [*fields, "vector"] if vectors[i] else fields)
            for i, row in zip(asked, await pipe.execute(), strict=True):
                rows[i] = row
    out = []
    for row, with_vector in zip(rows, vectors, strict=True):
        values = dict(zip(fields, row, strict=False))
        raw_text = values.get("text")
        raw_vector = row[-1] if with_vector and row else None
        out.append(
            RankRead(
                vector=None if raw_vector is None else np.frombuffer(raw_vector, np.float32),
                text=None if raw_text is None else as_str(raw_text),
                length=None if raw_text is None else len(as_bytes(raw_text)),
                role=_role(values.get("metadata")) if role else None,
            )
        )
    return out


def as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()
