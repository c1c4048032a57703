"""Working memory: the one service behind REST, MCP and the CLI.

Session identity: a session is (namespace, session_id). Writes name the namespace explicitly
(none = the session without a namespace). Reads and deletes that omit the namespace find the
session by its id alone; when the id exists in several namespaces the caller must say which
(409). A session's user_id is its owner: a read naming another user does not see it (404) and
a write naming another user is refused (409).
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent_memory_server.errors import (
    Conflict,
    InvalidRequest,
    LimitExceeded,
    NotFound,
)
from agent_memory_server.models.common import STORED, utcnow
from agent_memory_server.models.working_memory import (
    MemoryMessage,
    StoredWorkingMemory,
    WorkingMemory,
    WorkingMemoryResponse,
)
from agent_memory_server.providers.token_counts import TiktokenCounter, context_window
from agent_memory_server.resources import Resources
from agent_memory_server.services import redaction, tenancy
from agent_memory_server.services.scheduler import (
    enqueue_session_processing,
    queued_marker,
    schedule_summarization,
)
from agent_memory_server.services.session_checks import check_body, check_carried
from agent_memory_server.services.summarization import budget_for
from agent_memory_server.storage.working import MAX_LIST_OFFSET, SessionRef
from agent_memory_server.storage.working_append import AppendResult
from agent_memory_server.storage.working_replace import CONFLICT, FORBIDDEN, may_keep


@dataclass(frozen=True)
class Window:
    """The client model a request sizes the session by (both optional)."""

    model_name: str | None = None
    context_window_max: int | None = None

    def tokens(self) -> int | None:
        return context_window(self.model_name, self.context_window_max)


async def resolve(
    resources: Resources, session_id: str, *, namespace: str | None, user_id: str | None
) -> SessionRef:
    """Find an existing session by id, namespace if given, and owner if given.

    A caller bound to a tenant finds its own sessions; another tenant's is not found.
    """
    namespace, owner = tenancy.own(namespace=namespace, user_id=user_id)
    if namespace is not None:
        ref = resources.working.ref(namespace, session_id)
        _check_found(ref, user_id=user_id, found=await resources.working.fields(ref, "user_id"))
        return ref
    found = await resources.working.find(session_id, owner)
    refs = [r for r in found if tenancy.allowed(namespace=r.namespace, user_id=owner)]
    if not refs:
        raise NotFound(f"Session {session_id!r} not found")
    if len(refs) > 1:
        spaces = ", ".join(sorted(repr(r.namespace) for r in refs))
        raise Conflict(
            f"Session id {session_id!r} exists in several namespaces ({spaces}): pass namespace"
        )
    return refs[0]


def _check_found(ref: SessionRef, *, user_id: str | None, found: dict[str, Any] | None) -> None:
    """A session read by namespace and id must be the caller's tenant's, and user_id's
    (another tenant's is answered as a missing one)."""
    if (
        found is None
        or not tenancy.allowed(namespace=ref.namespace, user_id=found.get("user_id"))
        or (user_id is not None and found.get("user_id") != user_id)
    ):
        raise _not_found(ref)


def _not_found(ref: SessionRef) -> NotFound:
    return NotFound(f"Session {ref.session_id!r} not found in namespace {ref.namespace!r}")


async def _read(
    resources: Resources, session_id: str, *, namespace: str | None, user_id: str | None,
    now: datetime, touch: bool,
) -> tuple[SessionRef, WorkingMemoryResponse]:  # fmt: skip
    """`resolve` and the session, read in one step with the record of its access (when
    `touch`, and only if the caller may read it)."""
    known, _ = tenancy.own(namespace=namespace, user_id=user_id)
    if known is None:
        ref = await resolve(resources, session_id, namespace=namespace, user_id=user_id)
        raw = await resources.working.read(ref, now, touch)
    else:
        ref = resources.working.ref(known, session_id)
        readable, owner = tenancy.owner_to_see(namespace=known, user_id=user_id)
        raw = await resources.working.read(ref, now, touch and readable, owner)
    if raw is None:
        raise _not_found(ref)
    session = WorkingMemoryResponse.model_validate_json(raw, context=STORED)
    if known is not None:
        _check_found(ref, user_id=user_id, found={"user_id": session.user_id})
    return ref, session


def _with_usage(
    resources: Resources, response: WorkingMemoryResponse, window: int | None
) -> WorkingMemoryResponse:
    """The response with how much of the window the session fills (none without a window)."""
    if window:
        budget = budget_for(
            window,
            resources.settings.summarization_threshold,
            resources.settings.summary_max_tokens,
        )
        response.context_percentage_total_used = round(
            min(100.0, 100 * response.tokens / window), 2
        )
        response.context_percentage_until_summarization = round(
            min(100.0, 100 * response.tokens / budget.threshold), 2
        )
    return response


async def _after_write(
    resources: Resources, ref: SessionRef, tokens: int, window: Window, limit: int | None,
    stored: int | None,
) -> None:  # fmt: skip
    """Remember the window (unless `stored`, the session's, is it already) and schedule
    summarization when the session passed its threshold."""
    if limit is None:
        return
    if (window.model_name is not None or window.context_window_max is not None) and (
        limit != stored
    ):
        await resources.working.set_window(ref, limit)
    budget = budget_for(
        limit, resources.settings.summarization_threshold, resources.settings.summary_max_tokens
    )
    if tokens > budget.threshold:
        await schedule_summarization(resources, ref)


async def _finish_write(
    resources: Resources,
    ref: SessionRef,
    marker: tuple[str | None, str | None, int] | None,
    after_write: Coroutine[Any, Any, None],
) -> None:
    """The rest of a session write, then the session's processing queued if the write set its
    queued-run marker (`marker`; cleared again should the rest fail, so later writes queue)."""
    try:
        await after_write
    except BaseException:
        if marker is not None:
            await resources.working.clear_queued(ref, marker[0], marker[1])
        raise
    if marker is not None:
        await enqueue_session_processing(resources, ref, user_id=marker[0])


def check_message_count(resources: Resources, count: int) -> None:
    """Refuse a write that carries more messages than MAX_MESSAGES_PER_REQUEST."""
    limit = resources.settings.max_messages_per_request
    if count > limit:
        raise LimitExceeded(
            f"The request carries {count} messages; at most {limit} are accepted per request "
            "(MAX_MESSAGES_PER_REQUEST). Send them in several appends, or raise the setting."
        )


def _count(counter: TiktokenCounter, messages: list[MemoryMessage], context: str | None) -> int:
    total = counter.count(context) if context else 0
    return total + sum(counter.count_message(m.role, m.content) for m in messages)


async def get_session(
    resources: Resources,
    session_id: str,
    *,
    namespace: str | None,
    user_id: str | None,
    window: Window,
    recent_messages_limit: int | None = None,
) -> WorkingMemoryResponse:
    try:
        requested, refused = window.tokens(), None
    except InvalidRequest as e:
        requested, refused = None, e
    ref, session = await _read(
        resources,
        session_id,
        namespace=namespace,
        user_id=user_id,
        now=utcnow(),
        touch=refused is None,
    )
    if refused is not None:  # after the read (a missing session is a 404 first), untouched
        raise refused
    stored = session.context_window_max
    limit = requested or stored
    await _after_write(resources, ref, session.tokens, window, limit, stored)
    session.context_window_max = limit  # the window this read sized by, now the session's
    if recent_messages_limit is not None:
        session.messages = (
            session.messages[-recent_messages_limit:] if recent_messages_limit else []
        )
    return _with_usage(resources, session, limit)


async def put_session(
    resources: Resources,
    session_id: str,
    body: WorkingMemory,
    *,
    namespace: str | None,
    user_id: str | None,
    window: Window,
) -> WorkingMemoryResponse:
    """Replace a session (creating it if needed) and summarize later if it grew too long."""
    check_message_count(resources, len(body.messages))
    check_body(session_id, body, namespace=namespace, user_id=user_id)
    namespace = namespace if namespace is not None else body.namespace
    owner = user_id if user_id is not None else body.user_id
    namespace, owner = tenancy.own(namespace=namespace, user_id=owner)
    settings = resources.settings
    if redaction.active(settings):
        body = body.model_copy(
            update={
                "messages": redaction.messages(settings, body.messages),
                "context": redaction.text(settings, body.context),
                "memories": redaction.records(settings, body.memories),
            }
        )
    tenancy.check(namespace=namespace, user_id=owner, what=f"Session {session_id!r}")
    limit = window.tokens()
    ref = resources.working.ref(namespace, session_id)
    await check_carried(resources, session_id, namespace=namespace, owner=owner,
                        memories=body.memories, messages=body.messages)  # fmt: skip
    counter = resources.tokenizers.for_model(window.model_name)
    now = utcnow()
    unextracted = sum(m.discrete_memory_extracted == "f" for m in body.messages)
    pending = settings.extraction and unextracted > 0
    # Every value is valid already (the body was validated on the way in, the rest is ours):
    # the session is assembled from them, not validated again.
    stored = WorkingMemoryResponse.model_construct(
        session_id=session_id, namespace=namespace, user_id=owner, messages=body.messages,
        memories=body.memories, data=body.data, context=body.context,
        long_term_memory_strategy=body.long_term_memory_strategy,
        tokens=_count(counter, body.messages, body.context),
        ttl_seconds=body.ttl_seconds or settings.default_ttl_seconds, created_at=now,
        updated_at=now, last_accessed=now, context_window_max=limit,
        extraction_status=(
            {"state": "pending", "error": None, "updated_at": now.isoformat()} if pending else None
        ),
    )  # fmt: skip
    # One round trip (storage/working_replace.py): the stored session's owner checked, the
    # session replaced keeping its creation time, its window (when the request names none)
    # and what the pipeline did with the messages sent back, and the queued-run marker set
    # (scheduler.py).
    marker = queued_marker(owner) if settings.long_term_memory else None
    principal = tenancy.current()
    replaced = await resources.working.replace(
        ref, stored, stored.ttl_seconds, model_name=window.model_name,
        bound_user=None if principal is None else principal.user_id,
        may_keep=may_keep(body.messages), stored_window=limit is None, unextracted=unextracted,
        queued=marker, work=(settings.extraction, settings.index_messages),
    )  # fmt: skip
    _refused(session_id, replaced.refused)
    replaced.apply(stored.messages)
    if replaced.cleared:
        stored.extraction_status = None
    if limit is None:
        limit = stored.context_window_max = replaced.window
    stored.new_session = replaced.created_at is None
    if replaced.created_at is not None:  # a replaced session keeps its creation time
        validator = WorkingMemoryResponse.__pydantic_validator__
        validator.validate_assignment(stored, "created_at", replaced.created_at)
    marked = replaced.marked
    await _finish_write(
        resources, ref, marker if marked else None,
        _after_write(resources, ref, stored.tokens, window, limit, limit),
    )  # fmt: skip
    return _with_usage(resources, stored, limit)


async def append_messages(
    resources: Resources,
    session_id: str,
    messages: list[MemoryMessage],
    *,
    namespace: str | None,
    user_id: str | None,
    context: str | None,
    ttl_seconds: int | None,
    window: Window,
) -> AppendResult:
    """Append atomically: concurrent appends to one session all land, in arrival order."""
    check_message_count(resources, len(messages))
    namespace, user_id = tenancy.own(namespace=namespace, user_id=user_id)
    messages = redaction.messages(resources.settings, messages)
    context = redaction.text(resources.settings, context)
    tenancy.check(namespace=namespace, user_id=user_id, what=f"Session {session_id!r}")
    ref = resources.working.ref(namespace, session_id)
    principal = tenancy.current()
    existing: dict[str, Any] | None = None
    if context is not None or user_id is None or (principal is not None and principal.bound):
        # Needed first: the stored context (its tokens are replaced), the stored owner (the
        # session's when the request names none; a bound caller's carried records are
        # checked against it). The append checks the owner again as it writes.
        existing = await resources.working.fields(ref, "user_id", "context")
        if existing:
            _check_append_owner(session_id, namespace, existing["user_id"], user_id)
    session_owner = (existing or {}).get("user_id") or user_id
    await check_carried(resources, session_id, namespace=namespace, owner=session_owner,
                        memories=[], messages=messages)  # fmt: skip
    counter = resources.tokenizers.for_model(window.model_name)
    now = utcnow()
    ttl = ttl_seconds or resources.settings.default_ttl_seconds
    requested = window.tokens()
    fresh = StoredWorkingMemory(
        session_id=session_id, namespace=namespace, user_id=user_id, ttl_seconds=ttl,
        created_at=now, updated_at=now, last_accessed=now, context_window_max=requested,
    )  # fmt: skip
    tokens = _count(counter, messages, None)
    if context is not None:
        old_context = (existing or {}).get("context")
        tokens += counter.count(context) - (counter.count(old_context) if old_context else 0)
    marker = queued_marker(session_owner) if resources.settings.long_term_memory else None
    result = await resources.working.append(
        ref, fresh, messages, tokens, context, now, ttl,
        bound_user=None if principal is None else principal.user_id, window=requested,
        queued=marker,
    )  # fmt: skip
    _refused(session_id, result.refused)
    limit = requested or result.window
    # The append stored the window the request names (a created session holds it already).
    await _finish_write(
        resources, ref, marker if result.queued else None,
        _after_write(resources, ref, result.tokens, window, limit, limit),
    )  # fmt: skip
    return result


def _refused(session_id: str, refused: int) -> None:
    """The error of a write the store refused (FORBIDDEN, CONFLICT; 0: none)."""
    if refused == FORBIDDEN:
        tenancy.refuse_replace(f"Session {session_id!r}")
    if refused == CONFLICT:
        raise Conflict(f"Session {session_id!r} belongs to another user")


def _check_append_owner(
    session_id: str, namespace: str | None, stored_user: str | None, user_id: str | None
) -> None:
    """Forbidden when the caller may not write the stored session of `stored_user`; Conflict
    when it is another user's."""
    what = f"Session {session_id!r}"
    tenancy.check_replace(namespace=namespace, user_id=stored_user, what=what)
    if stored_user is not None and user_id is not None and stored_user != user_id:
        raise Conflict(f"{what} belongs to another user")


async def delete_session(
    resources: Resources, session_id: str, *, namespace: str | None, user_id: str | None
) -> None:
    ref = await resolve(resources, session_id, namespace=namespace, user_id=user_id)
    await resources.working.delete(ref)


async def list_sessions(
    resources: Resources, *, namespace: str | None, user_id: str | None, offset: int, limit: int
) -> tuple[list[str], int]:
    """Session ids, oldest first, and the total; confined to the caller's tenants."""
    if offset > MAX_LIST_OFFSET:
        raise InvalidRequest(
            f"Offset {offset} is past the {MAX_LIST_OFFSET:,}th session, where listings stop "
            "(RediSearch's MAXSEARCHRESULTS); narrow the listing by namespace or user"
        )
    namespaces = tenancy.namespaces_to_list(namespace=namespace)
    _, own_user = tenancy.own(namespace=None, user_id=None)
    if namespaces == [] or (own_user is not None and user_id not in (None, own_user)):
        return [], 0  # another tenant's: nothing to list
    return await resources.working.list(namespaces, user_id or own_user, offset, limit)
