"""Index rebuilds and schema migrations of long-term memory (run from the CLI)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from agent_memory_server.resources import Resources
from agent_memory_server.services.long_term import content_hash
from agent_memory_server.storage.dedup import HashPointer
from agent_memory_server.storage.schema import VectorIndexParams

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
BATCH = 128


async def rebuild_index(resources: Resources, progress: Progress | None = None) -> int:
    """Recreate the long-term index for the configured embedder and re-embed every record.

    Records stay readable by id throughout; search sees them again as they are re-embedded.
    Safe to run again after an interruption.
    """
    store = resources.long_term
    ids = await store.scan_ids()
    await store.drop_index()
    settings = resources.settings
    store.recreate(
        VectorIndexParams(
            resources.embedder.dimension, settings.hnsw_m, settings.hnsw_ef_construction,
            settings.hnsw_ef_runtime,
        )
    )  # fmt: skip
    await store.create_index()
    done = 0
    for start in range(0, len(ids), BATCH):
        records = [r for r in await store.get_many(ids[start : start + BATCH]) if r is not None]
        vectors = await resources.embedder.embed([r.text for r in records])
        await store.upsert(list(zip(records, vectors, strict=True)))
        done += len(records)
        if progress is not None:
            progress(done, len(ids))
    await resources.meta.set_embedder_name(resources.embedder.name)
    return done


async def _backfill_hashes(resources: Resources) -> None:
    """v1: every record has a memory_hash and owns its content-hash dedup pointer."""
    store = resources.long_term
    ids = await store.scan_ids()
    for start in range(0, len(ids), BATCH):
        records = [r for r in await store.get_many(ids[start : start + BATCH]) if r is not None]
        missing = [r for r in records if not r.memory_hash]
        for record in missing:
            record.memory_hash = content_hash(record.text)
        if missing:
            vectors = await store.get_vectors([r.id for r in missing])
            rows = [(r, v) for r, v in zip(missing, vectors, strict=True) if v is not None]
            await store.upsert(rows)
        await store.claim_hashes([(HashPointer.of(r), r.id) for r in records if r.memory_hash])


MIGRATIONS: list[tuple[int, str, Callable[[Resources], Awaitable[None]]]] = [
    (1, "backfill content hashes and dedup pointers", _backfill_hashes),
]


async def migrate(resources: Resources, report: Callable[[str], None] | None = None) -> int:
    """Apply the migrations above the stored schema version, recording each; returns the version."""
    version = await resources.meta.schema_version()
    for number, title, step in MIGRATIONS:
        if number <= version:
            continue
        if report is not None:
            report(f"migration {number}: {title}")
        await step(resources)
        await resources.meta.set_schema_version(number)
        version = number
    return version
