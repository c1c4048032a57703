"""RediSearch index schemas (redisvl), kept in one place with their version."""

from __future__ import annotations

from redisvl.schema import IndexSchema

from agent_memory_server.storage.keys import Keys

WORKING_MEMORY_SCHEMA_VERSION = 1


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
                {"name": "session_id", "path": "$.session_id", "type": "tag"},
                {"name": "namespace", "path": "$.namespace", "type": "tag"},
                {"name": "user_id", "path": "$.user_id", "type": "tag"},
                {"name": "created_ts", "path": "$.created_ts", "type": "numeric",
                 "attrs": {"sortable": True}},
                {"name": "updated_ts", "path": "$.updated_ts", "type": "numeric",
                 "attrs": {"sortable": True}},
            ],
        }
    )  # fmt: skip
