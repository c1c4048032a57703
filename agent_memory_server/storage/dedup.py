"""The content-hash dedup pointer of a record: which owner's which text it stands for.

Services compare and collect pointers; the long-term store turns them into keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent_memory_server.models.memory_record import MemoryRecord


@dataclass(frozen=True)
class HashPointer:
    """(namespace, user, hash of the text): at most one record holds it."""

    namespace: str | None
    user_id: str | None
    digest: str

    @classmethod
    def of(cls, record: MemoryRecord, digest: str | None = None) -> HashPointer:
        """The pointer of a record, by its `memory_hash` unless `digest` is given."""
        found = record.memory_hash if digest is None else digest
        assert found is not None, "a record's pointer needs its memory_hash"
        return cls(record.namespace, record.user_id, found)
