"""RediSearch index schemas (redisvl), kept in one place with their version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redisvl.schema import IndexSchema

from agent_memory_server.storage.keys import Keys

WORKING_MEMORY_SCHEMA_VERSION = 2

# Identifier tags match exactly: case-sensitive (user "Alice" is not user "alice") and never
# split (the separator is a control character, which identifiers cannot contain, so a user
# id with a comma stays one tag).
ID_TAG = {"case_sensitive": True, "separator": "\x1f"}


def working_memory_schema(keys: Keys) -> IndexSchema:
    """Index over working-memory JSON documents: find sessions by id, namespace or user."""
    return IndexSchema.from_dict(
        {
            "index": {
                "name": keys.working_memory_index,
                "prefix": keys.working_memory_prefix,
                "key_separator": ":",
                "storage_type": "json",
            },
            "fields": [
                {"name": "session_id", "path": "$.session_id", "type": "tag", "attrs": ID_TAG},
                {"name": "namespace", "path": "$.namespace", "type": "tag", "attrs": ID_TAG},
                {"name": "user_id", "path": "$.user_id", "type": "tag", "attrs": ID_TAG},
                {"name": "created_ts", "path": "$.created_ts", "type": "numeric",
                 "attrs": {"sortable": True}},
                {"name": "updated_ts", "path": "$.updated_ts", "type": "numeric",
                 "attrs": {"sortable": True}},
            ],
        }
    )  # fmt: skip


LONG_TERM_SCHEMA_VERSION = 2
TAG_SEPARATOR = "|"


@dataclass(frozen=True)
class VectorIndexParams:
    """HNSW parameters of the long-term index (see the README's benchmark notes)."""

    dimension: int
    m: int = 16
    ef_construction: int = 200
    ef_runtime: int = 128


def long_term_schema(
    keys: Keys, params: VectorIndexParams, marker: str | None = None
) -> IndexSchema:
    """Index over long-term records (HASH): every filterable field, BM25 text, HNSW vectors.

    `marker`: the index of one namespace's records (the cluster layout, storage/keys.py)."""
    tags = [
        "memory_id",
        "session_id",
        "user_id",
        "namespace",
        "memory_type",
        "memory_hash",
        "discrete_memory_extracted",
        "extraction_strategy",
        "pinned",
    ]
    multi = ["topics", "entities"]
    numbers = [
        "created_at",
        "updated_at",
        "last_accessed",
        "persisted_at",
        "event_date",
        "access_count",
        "importance",
    ]
    fields: list[dict[str, Any]] = [{"name": name, "type": "tag", "attrs": ID_TAG} for name in tags]
    fields += [
        {"name": name, "type": "tag", "attrs": {"separator": TAG_SEPARATOR}} for name in multi
    ]
    fields += [{"name": name, "type": "numeric", "attrs": {"sortable": True}} for name in numbers]
    fields.append({"name": "text", "type": "text"})
    fields.append(
        {
            "name": "vector",
            "type": "vector",
            "attrs": {
                "algorithm": "hnsw",
                "dims": params.dimension,
                "distance_metric": "cosine",
                "datatype": "float32",
                "m": params.m,
                "ef_construction": params.ef_construction,
                "ef_runtime": params.ef_runtime,
            },
        }
    )
    return IndexSchema.from_dict({
        "index": {
            "name": keys.long_term_index if marker is None else keys.shard_index(marker),
            "prefix": keys.long_term_prefix if marker is None else keys.shard_prefix(marker),
            "key_separator": ":",
            "storage_type": "hash",
        },
        "fields": fields,
    })  # fmt: skip
