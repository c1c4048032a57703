"""Long-term memory: create (dedup by id and content hash), get, edit, delete and search.

Records are embedded in one batch per request and written before the call returns, so they are
searchable as soon as the write is acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import ValidationError

from agent_memory_server.errors import InvalidRequest, NotFound
from agent_memory_server.models.common import utcnow
from agent_memory_server.models.long_term import EditMemoryRequest
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.resources import Resources
from agent_memory_server.services import redaction, tenancy
from agent_memory_server.services.enrichment import enrich, needs_enrichment
from agent_memory_server.services.scheduler import schedule_after_write
from agent_memory_server.storage.dedup import HashPointer

_SPACE = re.compile(r"\s+")
EMBED_WHILE_CHECKING = 8  # records: a write this small embeds while it is checked (create)


def content_hash(text: str) -> str:
    """Hash of the text as a person reads it: case and spacing do not matter."""
    return hashlib.sha256(_SPACE.sub(" ", text).strip().casefold().encode()).hexdigest()


async def create_memories(
    resources: Resources,
    records: Sequence[MemoryRecord],
    deduplicate: bool = True,
    enrich_now: bool = False,
) -> list[MemoryRecord]:
    """Store records; returns those written (duplicates by content are skipped when asked).

    Records without topics or entities get them from the local models: at once with
    `enrich_now` (background callers, who then merge near-duplicates themselves), else a
    background task right after the write adds them and, with `deduplicate`, merges the new
    records with near-duplicates of the same owner; the write itself stays as fast as
    embedding and indexing.
    """
    now = utcnow()
    prepared = []
    for r in redaction.records(resources.settings, records):
        namespace, user_id = tenancy.own(namespace=r.namespace, user_id=r.user_id)
        tenancy.check(namespace=namespace, user_id=user_id, what=f"Memory {r.id!r}")
        prepared.append(
            r.model_copy(
                update={
                    "memory_hash": content_hash(r.text), "persisted_at": now, "updated_at": now,
                    "namespace": namespace, "user_id": user_id,
                }
            )
        )  # fmt: skip
    # A small write embeds its texts while the stored records and the duplicates are looked
    # up (the embedder runs in a thread): the write no longer waits for those round trips
    # and the embedding one after the other. A record found to be a duplicate wastes its
    # embedding, which bounds the batch this is done for.
    early = (
        asyncio.ensure_future(resources.embedder.embed([r.text for r in prepared]))
        if 0 < len(prepared) <= EMBED_WHILE_CHECKING
        else None
    )
    try:
        keep = await _dedup(resources, prepared, deduplicate)
    except BaseException:
        await _drop(early)
        raise
    if not keep:
        await _drop(early)
        return keep
    if early is not None:
        embedded = await early
        position = {id(r): i for i, r in enumerate(prepared)}
        vectors = embedded[[position[id(r)] for r in keep]]
    else:
        vectors = await resources.embedder.embed([r.text for r in keep])
    if enrich_now:
        await enrich(resources, keep, vectors)
    await resources.long_term.upsert(list(zip(keep, vectors, strict=True)))
    if not enrich_now and (deduplicate or any(needs_enrichment(resources, r) for r in keep)):
        await schedule_after_write(resources, [r.id for r in keep], deduplicate)
    return keep


async def _drop(embedding: asyncio.Future[Any] | None) -> None:
    if embedding is not None:
        embedding.cancel()
        with contextlib.suppress(BaseException):
            await embedding


async def _dedup(
    resources: Resources, prepared: list[MemoryRecord], deduplicate: bool
) -> list[MemoryRecord]:
    """The records to write: each replaced record checked to be the caller's, and (with
    `deduplicate`) those whose text the same owner has stored already left out; the content
    pointers of the rest set."""
    store = resources.long_term
    previous = await store.get_many([r.id for r in prepared])
    for old in previous:  # an upsert replaces: the replaced record must be the caller's too
        if old is not None:
            tenancy.check_replace(
                namespace=old.namespace, user_id=old.user_id, what=f"Memory {old.id!r}"
            )
    keep: list[MemoryRecord] = []
    repoint: list[tuple[HashPointer, str]] = []
    if deduplicate:
        seen: set[HashPointer] = set()
        holders = await store.claim_hashes([(HashPointer.of(r), r.id) for r in prepared])
        others = [h for h, r in zip(holders, prepared, strict=True) if h not in (None, r.id)]
        alive = dict(zip(others, await store.exists(others), strict=True))
        for record, holder in zip(prepared, holders, strict=True):
            pointer = HashPointer.of(record)
            held_by_other = holder not in (None, record.id) and alive[holder or ""]
            if pointer in seen or held_by_other:
                continue  # the same text for the same owner is already stored
            seen.add(pointer)
            if holder not in (None, record.id):
                repoint.append((pointer, record.id))  # the holder was deleted since
            keep.append(record)
    else:
        keep = list(prepared)
        repoint = [(HashPointer.of(r), r.id) for r in keep]
    await store.set_pointers(repoint)
    for old in previous:
        if (
            old is not None
            and old.memory_hash
            and all(HashPointer.of(old) != HashPointer.of(r) for r in keep if r.id == old.id)
        ):
            await store.drop_pointer(HashPointer.of(old), old.id)
    return keep


async def refused_records(
    resources: Resources, records: Sequence[MemoryRecord]
) -> list[tuple[MemoryRecord, str]]:
    """The records the caller may not create where they say (their namespace and user, as
    given) or whose id holds another tenant's record, each with why; none for an unbound
    caller. What a session carries into long-term memory is checked with this."""
    principal = tenancy.current()
    if principal is None or not principal.bound or not records:
        return []
    owners = await resources.long_term.owners([r.id for r in records])
    refused = []
    for record, owner in zip(records, owners, strict=True):
        namespace, user_id = tenancy.own(namespace=record.namespace, user_id=record.user_id)
        if not tenancy.allowed(namespace=namespace, user_id=user_id):
            refused.append((record, f"it names {namespace=!r}, {user_id=!r}"))
        elif owner is not None and not tenancy.allowed(namespace=owner[0], user_id=owner[1]):
            refused.append((record, "its id is not available to these credentials"))
    return refused


async def get_memory(resources: Resources, memory_id: str) -> MemoryRecord:
    """The record; another tenant's is answered as a missing one."""
    (record,) = await resources.long_term.get_many([memory_id])
    if record is None or not tenancy.allowed(namespace=record.namespace, user_id=record.user_id):
        raise NotFound(f"Memory {memory_id!r} not found")
    return record


async def edit_memory(
    resources: Resources, memory_id: str, changes: EditMemoryRequest
) -> MemoryRecord:
    """Apply the given fields; re-embed when the text changes. 400 when nothing changes."""
    record = await get_memory(resources, memory_id)
    updates = changes.model_dump(exclude_unset=True)
    if isinstance(updates.get("text"), str):
        updates["text"] = redaction.redact(resources.settings, updates["text"])
    if any(updates.get(name) is None for name in ("text",) if name in updates):
        raise InvalidRequest("text cannot be null")
    current = record.model_dump()
    changed = {k: v for k, v in updates.items() if current.get(k) != v}
    if not changed:
        raise InvalidRequest(f"Nothing to change: the update leaves memory {memory_id!r} as it is")
    edited = record.model_copy(update={**changed, "updated_at": utcnow()})
    try:
        edited = MemoryRecord.model_validate(edited.model_dump())
    except ValidationError as e:  # e.g. null for a field that cannot be null
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
            for err in e.errors(include_url=False, include_input=False)
        )
        raise InvalidRequest(f"The edit would make an invalid memory: {problems}") from e
    tenancy.check(
        namespace=edited.namespace, user_id=edited.user_id, what=f"The edited memory {memory_id!r}"
    )
    edited.memory_hash = content_hash(edited.text)
    if "text" in changed:
        vector = (await resources.embedder.embed([edited.text]))[0]
    else:
        (stored,) = await resources.long_term.get_vectors([memory_id])
        vector = (
            stored if stored is not None else (await resources.embedder.embed([edited.text]))[0]
        )
    await resources.long_term.drop_pointer(HashPointer.of(record), record.id)
    await resources.long_term.set_pointers([(HashPointer.of(edited), edited.id)])
    await resources.long_term.upsert([(edited, vector)])
    return edited


async def delete_memories(resources: Resources, ids: Sequence[str]) -> int:
    """Delete records by id; unknown ids, and another tenant's, are skipped alike."""
    records = [
        r
        for r in await resources.long_term.get_many(ids)
        if r is not None and tenancy.allowed(namespace=r.namespace, user_id=r.user_id)
    ]
    deleted = await resources.long_term.delete([r.id for r in records])
    for record in records:
        if record.memory_hash:
            await resources.long_term.drop_pointer(HashPointer.of(record), record.id)
    return deleted


async def enrich_stored(resources: Resources, ids: Sequence[str]) -> int:
    """Add topics and entities to stored records that still lack them; returns how many."""
    records = [r for r in await resources.long_term.get_many(ids) if r is not None]
    records = [r for r in records if needs_enrichment(resources, r)]
    if not records:
        return 0
    vectors = await resources.long_term.get_vectors([r.id for r in records])
    rows = [(r, v) for r, v in zip(records, vectors, strict=True) if v is not None]
    if not rows:
        return 0
    await enrich(resources, [r for r, _ in rows], np.stack([v for _, v in rows]))
    await resources.long_term.set_tags([(r.id, r.topics or [], r.entities or []) for r, _ in rows])
    return len(rows)
