"""The memory prompt: session summary and messages, relevant long-term memories, the query."""

from __future__ import annotations

import asyncio
import contextlib

from agent_memory_server.errors import NotFound
from agent_memory_server.models.filters import TagFilter
from agent_memory_server.models.long_term import (
    MemoryPromptPreview,
    MemoryPromptRequest,
    MemoryPromptResponse,
    MemoryRecordResult,
    PromptMessage,
    SearchRequest,
)
from agent_memory_server.models.working_memory import MemoryMessage, WorkingMemoryResponse
from agent_memory_server.resources import Resources
from agent_memory_server.services.search import search_memories
from agent_memory_server.services.working_memory import Window, get_session


def _text(role: str, text: str) -> PromptMessage:
    return PromptMessage(role=role, content={"type": "text", "text": text})


def _search_request(request: MemoryPromptRequest) -> SearchRequest | None:
    spec = request.long_term_search
    if spec is None or spec is False:
        return None
    search = SearchRequest() if spec is True else spec.model_copy()
    if not search.text.strip():
        search.text = request.query
    session = request.session
    if session is not None:  # default the search to the session's owner and namespace
        if search.namespace is None and session.namespace is not None:
            search.namespace = TagFilter(eq=session.namespace)
        if search.user_id is None and session.user_id is not None:
            search.user_id = TagFilter(eq=session.user_id)
    return search


async def _session(
    resources: Resources, request: MemoryPromptRequest
) -> WorkingMemoryResponse | None:
    """The prompt's session (None if it has none or it does not exist)."""
    session = request.session
    if session is None:
        return None
    window = Window(session.model_name, session.context_window_max)
    try:
        return await get_session(
            resources, session.session_id, namespace=session.namespace,
            user_id=session.user_id, window=window,
        )  # fmt: skip
    except NotFound:
        return None


async def memory_prompt(resources: Resources, request: MemoryPromptRequest) -> MemoryPromptResponse:
    """Build the messages to send to the client's model, newest session messages that fit.

    The session is read while the search runs (its query is being embedded meanwhile)."""
    memories: list[MemoryRecordResult] = []
    search = _search_request(request)
    reading = asyncio.ensure_future(_session(resources, request))
    try:
        if search is not None:
            memories = (await search_memories(resources, search)).memories
    except BaseException:
        reading.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):  # the search's error wins
            await reading
        raise
    wm = await reading
    counter = resources.tokenizers.for_model(
        request.session.model_name if request.session else None
    )
    tail: list[PromptMessage] = []
    if memories:
        listing = "\n".join(f"- {m.text}" for m in memories)
        tail.append(
            _text("system", f"## Long-term memories related to the user's query\n{listing}")
        )
    tail.append(_text("user", request.query))
    head: list[PromptMessage] = []
    session = request.session
    if session is not None and wm is not None:
        window = Window(session.model_name, session.context_window_max)
        used = sum(counter.count(m.content["text"]) for m in tail)
        if wm.context:
            summary = _text("system", f"## A summary of the conversation so far\n{wm.context}")
            head.append(summary)
            used += counter.count(summary.content["text"])
        limit = window.tokens() or wm.context_window_max
        head.extend(
            _fit(counter.count_message, wm.messages, None if limit is None else limit - used)
        )
    return MemoryPromptResponse(messages=head + tail, long_term_memories=memories)


def _fit(count: object, messages: list[MemoryMessage], budget: int | None) -> list[PromptMessage]:
    """The newest messages whose tokens fit in the budget (all of them without a window)."""
    kept: list[PromptMessage] = []
    used = 0
    for message in reversed(messages):
        cost = count(message.role, message.content)  # type: ignore[operator]
        if budget is not None and used + cost > budget:
            break
        used += cost
        kept.append(_text(message.role, message.content))
    return list(reversed(kept))


def with_token_counts(
    resources: Resources, request: MemoryPromptRequest, prompt: MemoryPromptResponse
) -> MemoryPromptPreview:
    """The prompt with each message's tokens, counted as the session's model counts them."""
    counter = resources.tokenizers.for_model(
        request.session.model_name if request.session else None
    )
    counts = [counter.count_message(m.role, m.content.get("text", "")) for m in prompt.messages]
    return MemoryPromptPreview(
        messages=prompt.messages, long_term_memories=prompt.long_term_memories,
        token_counts=counts, total_tokens=sum(counts),
    )  # fmt: skip
