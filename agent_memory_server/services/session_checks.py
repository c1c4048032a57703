"""What a working-memory write is checked for before anything is stored: a body that agrees
with its path and query, and carried records (memories, indexed messages) the caller may
write to long-term memory. (What a replaced session keeps of the pipeline's work is decided
where it is stored: storage/working_replace.py.)"""

from __future__ import annotations

from agent_memory_server.errors import Forbidden, InvalidRequest
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.models.working_memory import MemoryMessage, WorkingMemory
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.services.extraction import check_custom_prompt
from agent_memory_server.services.long_term import refused_records
from agent_memory_server.services.promotion import carried_memories, message_records


async def check_carried(
    resources: Resources, session_id: str, *, namespace: str | None, owner: str | None,
    memories: list[MemoryRecord], messages: list[MemoryMessage],
) -> None:  # fmt: skip
    """Forbidden, before anything is stored, when a bound caller's session carries a record
    (a memory, or with INDEX_MESSAGES a message) that it may not write to long-term memory:
    one naming another tenant, or whose id holds another tenant's record."""
    principal = tenancy.current()
    if principal is None or not principal.bound:
        return
    records = carried_memories(memories, namespace=namespace, user_id=owner, session_id=session_id)
    if resources.settings.index_messages:
        records += message_records(
            messages, namespace=namespace, user_id=owner, session_id=session_id
        )
    refused = await refused_records(resources, records)
    if refused:
        record, why = refused[0]
        raise Forbidden(
            f"The session carries memory {record.id!r}, which the credentials of "
            f"{principal.name!r} may not write to long-term memory ({why}); nothing was stored"
        )


def check_body(
    session_id: str, body: WorkingMemory, *, namespace: str | None, user_id: str | None
) -> None:
    """The body of a PUT must agree with its path and query."""
    if body.session_id is not None and body.session_id != session_id:
        raise InvalidRequest(
            f"Body session_id {body.session_id!r} does not match the path's {session_id!r}"
        )
    if namespace is not None and body.namespace is not None and namespace != body.namespace:
        raise InvalidRequest(f"Namespace {namespace!r} in the query contradicts the body's")
    if user_id is not None and body.user_id is not None and user_id != body.user_id:
        raise InvalidRequest(f"user_id {user_id!r} in the query contradicts the body's")
    if body.long_term_memory_strategy.strategy == "custom":
        check_custom_prompt(body.long_term_memory_strategy.config)
