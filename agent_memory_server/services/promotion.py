"""From working memory to long-term memory, in the background after each session write.

1. Structured `memories` of the session are stored (inheriting the session's namespace, user
   and id unless they say otherwise) and stamped `persisted_at`.
2. With INDEX_MESSAGES, every message is stored as a `message` record and stamped too.
3. Messages not yet extracted are turned into memories by the session's strategy and marked
   `discrete_memory_extracted = "t"` only after the memories are stored.

The task runs as the caller that wrote the session (tasks carry it): a record the caller may
not write (another tenant's namespace or user, or an id that holds another tenant's record) is
left in the session unpromoted and logged; the session write refused such records already, so
this only meets records whose id another tenant took meanwhile.

Every stamp is written by id into the session as it is then (storage/working.py `mark`), so a
write that lands meanwhile is never overwritten; a rerun finds nothing left to do. The
extraction state is kept on the session (`extraction_status`): pending, failed (with the
error, while the task retries) or done.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from agent_memory_server.errors import MemoryServerError
from agent_memory_server.models.common import utcnow
from agent_memory_server.models.memory_record import MemoryRecord, MemoryType
from agent_memory_server.models.working_memory import MemoryMessage, StoredWorkingMemory
from agent_memory_server.resources import Resources
from agent_memory_server.services.extraction import extract
from agent_memory_server.services.long_term import create_memories, refused_records
from agent_memory_server.services.post_write import merge_near_duplicates

logger = logging.getLogger(__name__)


@dataclass
class ProcessResult:
    promoted: int = 0
    indexed_messages: int = 0
    extracted: int = 0


def carried_memories(
    memories: Sequence[MemoryRecord], *, namespace: str | None, user_id: str | None, session_id: str
) -> list[MemoryRecord]:
    """A session's memories as long-term records: its namespace, user and id unless they say
    otherwise."""
    return [
        m.model_copy(update={
            "namespace": m.namespace if m.namespace is not None else namespace,
            "user_id": m.user_id if m.user_id is not None else user_id,
            "session_id": m.session_id if m.session_id is not None else session_id,
        })
        for m in memories
    ]  # fmt: skip


def message_records(
    messages: Sequence[MemoryMessage],
    *,
    namespace: str | None,
    user_id: str | None,
    session_id: str,
) -> list[MemoryRecord]:
    """A session's messages as `message` records (INDEX_MESSAGES), each under its own id."""
    return [
        MemoryRecord(
            id=m.id, text=f"{m.role}: {m.content}", memory_type=MemoryType.MESSAGE,
            session_id=session_id, created_at=m.created_at, discrete_memory_extracted="t",
            namespace=namespace, user_id=user_id,
        )
        for m in messages
        if m.content.strip()
    ]  # fmt: skip


async def _writable(resources: Resources, records: list[MemoryRecord]) -> list[MemoryRecord]:
    """The records the caller may write; the others are logged and left."""
    refused = await refused_records(resources, records)
    for record, why in refused:
        logger.warning("not promoting memory %s: %s", record.id, why)
    skipped = {id(r) for r, _ in refused}
    return [r for r in records if id(r) not in skipped]


def _status(state: str, error: str | None = None) -> dict[str, str | None]:
    return {"state": state, "error": error, "updated_at": utcnow().isoformat()}


async def process_session(
    resources: Resources, *, namespace: str | None, session_id: str
) -> ProcessResult:
    """Promote, index and extract what the session holds that is not in long-term memory yet.

    Raises:
        BackendUnavailable: the LLM failed; the messages stay unextracted (retry later).
    """
    result = ProcessResult()
    ref = resources.working.ref(namespace, session_id)
    raw = await resources.working.get(ref)
    if raw is None or not resources.settings.long_term_memory:
        return result
    session = StoredWorkingMemory.model_validate(raw)

    pending = [m for m in session.memories if m.persisted_at is None]
    if pending:
        records = await _writable(
            resources,
            carried_memories(
                pending,
                namespace=session.namespace,
                user_id=session.user_id,
                session_id=session.session_id,
            ),
        )
        stored = await create_memories(resources, records, deduplicate=True, enrich_now=True)
        await merge_near_duplicates(resources, [r.id for r in stored])
        await resources.working.mark(
            ref, "memories", [m.id for m in records], "persisted_at", utcnow().isoformat()
        )
        result.promoted = len(records)

    if resources.settings.index_messages:
        unindexed = [m for m in session.messages if m.persisted_at is None]
        if unindexed:
            records = await _writable(
                resources,
                message_records(
                    unindexed,
                    namespace=session.namespace,
                    user_id=session.user_id,
                    session_id=session.session_id,
                ),
            )
            written = {r.id for r in records}
            await create_memories(resources, records, deduplicate=False, enrich_now=True)
            await resources.working.mark(
                ref, "messages",
                [m.id for m in unindexed if m.id in written or not m.content.strip()],
                "persisted_at", utcnow().isoformat(),
            )  # fmt: skip
            result.indexed_messages = len(records)

    todo = [m for m in session.messages if m.discrete_memory_extracted == "f"]
    if resources.settings.extraction and todo:
        await resources.working.set_field(ref, "extraction_status", _status("running"))
        try:
            memories = await extract(resources, session, todo)
        except MemoryServerError as e:
            await resources.working.set_field(
                ref, "extraction_status", _status("failed", e.message)
            )
            raise
        stored = await create_memories(resources, memories, deduplicate=True, enrich_now=True)
        await merge_near_duplicates(resources, [r.id for r in stored])
        await resources.working.mark(
            ref, "messages", [m.id for m in todo], "discrete_memory_extracted", "t"
        )
        await resources.working.set_field(ref, "extraction_status", _status("done"))
        result.extracted = len(stored)
    logger.info("session %s: %s", session_id, result)
    return result
