"""Raw FT.SEARCH replies of the long-term index, parsed into search hits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# What a search leg returns per candidate: enough to rank it, not the whole record (unless
# the candidates are the page itself: then the whole stored hash).
RANK_FIELDS = [
    "memory_id", "created_at", "last_accessed", "importance", "session_id", "event_date",
]  # fmt: skip
# And, when hybrid search's turn rules need them (services/ranking.py: coverage, the
# assistant rule, long turns): the text and the metadata (for its role).
TURN_FIELDS = ["text", "metadata"]


@dataclass(frozen=True)
class Hit:
    """One candidate of a search leg: id, ranking signals, and its distance or BM25 score."""

    id: str
    created_at: float
    last_accessed: float
    importance: float | None
    distance: float | None = None
    keyword_score: float | None = None
    fields: dict[str, Any] | None = None  # every field, when the leg returned the records
    session: str | None = None
    event_at: float | None = None
    vector: bytes | None = None  # the stored vector, when the leg returned it
    text: str | None = None  # when the leg returned TURN_FIELDS
    role: str | None = None  # metadata.role, when the leg returned TURN_FIELDS


def _role(raw: bytes | str | None) -> str | None:
    if raw is None:
        return None
    try:
        metadata = json.loads(as_str(raw))
    except ValueError:
        return None
    role = metadata.get("role") if isinstance(metadata, dict) else None
    return role if isinstance(role, str) else None


def make_hit(doc: dict[str, Any], full: bool = False, **signal: float) -> Hit:
    """`full`: the reply holds the whole record (kept as the hit's `fields`)."""
    importance = doc.get("importance")
    session, event = doc.get("session_id"), doc.get("event_date")
    return Hit(
        id=as_str(doc["memory_id"]),
        created_at=float(doc.get("created_at") or 0),
        last_accessed=float(doc.get("last_accessed") or 0),
        importance=None if importance in (None, "", b"") else float(importance),
        fields=doc if full else None,
        session=None if session in (None, "", b"") else as_str(session),
        event_at=None if event in (None, "", b"") else float(event),
        vector=doc.get("vector") if not full else None,
        text=None if full or "text" not in doc else as_str(doc["text"]),
        role=None if full else _role(doc.get("metadata")),
        **signal,
    )


def search_docs(reply: Any) -> tuple[int, list[dict[str, Any]]]:
    """Total and documents of a raw FT.SEARCH reply, RESP3 (a map) or RESP2 (a flat list).

    With WITHSCORES, each document carries its score under "__score".
    """
    docs: list[dict[Any, Any]] = []
    if isinstance(reply, dict):
        for result in reply[b"results"]:
            docs.append(dict(result[b"extra_attributes"]))
            if b"score" in result:
                docs[-1]["__score"] = result[b"score"]
        total = reply[b"total_results"]
    else:  # [total, key, (score,) [field, value, ...], key, ...]
        total, rest = reply[0], reply[1:]
        step = 3 if rest and not isinstance(rest[1], list) else 2  # a score after each key
        for i in range(0, len(rest), step):
            fields = rest[i + step - 1]
            docs.append(dict(zip(fields[::2], fields[1::2], strict=True)))
            if step == 3:
                docs[-1]["__score"] = rest[i + 1]
    return int(total), [{as_str(name): value for name, value in d.items()} for d in docs]


def knn_hits(reply: Any, full: bool = False) -> list[Hit]:
    docs = search_docs(reply)[1]
    return [make_hit(d, full, distance=float(d["vector_distance"])) for d in docs]


def as_str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
