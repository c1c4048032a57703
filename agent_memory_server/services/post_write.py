"""What follows a long-term write in the background: topics and entities, then merging the
new records with near-duplicates of the same owner (compaction's rules and merge)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from agent_memory_server.models.memory_record import MemoryType
from agent_memory_server.resources import Resources
from agent_memory_server.services.compaction import apply_merge, find_semantic_duplicate
from agent_memory_server.services.long_term import enrich_stored

logger = logging.getLogger(__name__)


async def merge_near_duplicates(resources: Resources, ids: Sequence[str]) -> int:
    """Merge each record with its nearest near-duplicate, if any; returns how many merged.

    Pinned records and `message` records are left alone, as compaction leaves them.
    """
    store = resources.long_term
    records = await store.get_many(ids)
    vectors = await store.get_vectors(ids)
    merged = 0
    for record, vector in zip(records, vectors, strict=True):
        if record is None or vector is None or record.pinned:
            continue
        if record.memory_type == MemoryType.MESSAGE:
            continue
        other_id = await find_semantic_duplicate(resources, record, vector)
        if other_id is None:
            continue
        (other,) = await store.get_many([other_id])
        if other is None or other.pinned:
            continue
        # a merge earlier in this loop may have changed `record`: apply_merge re-reads every
        # member and skips the group when one changed or is gone
        if await apply_merge(resources, [other, record]) is not None:
            merged += 1
    if merged:
        logger.info("merged %s new memories into near-duplicates", merged)
    return merged


async def after_write(resources: Resources, ids: Sequence[str], deduplicate: bool) -> None:
    """Enrich the records just written, then (when asked) merge them with near-duplicates."""
    await enrich_stored(resources, ids)
    if deduplicate:
        await merge_near_duplicates(resources, ids)
