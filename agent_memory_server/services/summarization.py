"""Progressive summarization of a session that outgrew its share of the model's window.

The run reads the session, folds the oldest messages (and the previous summary) into a new
summary with the LLM, or the local extractive summarizer when no LLM is configured, and
writes it back with a guarded fold: the write only lands if the folded messages and the
previous summary are still in place, so a concurrent write is never lost. A lost race is
simply run again on fresh state.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from agent_memory_server.models.working_memory import MemoryMessage, StoredWorkingMemory
from agent_memory_server.providers.extractive import extractive_summary
from agent_memory_server.providers.token_counts import TiktokenCounter
from agent_memory_server.resources import Resources
from agent_memory_server.storage.working import SessionRef

logger = logging.getLogger(__name__)

INLINE_EXTRACTIVE = 40  # messages the extractive summarizer takes on the event loop
MAX_RACES = 5

SYSTEM_PROMPT = (
    "You maintain the running summary of a conversation between a user and an AI assistant. "
    "Merge the existing summary with the new messages into one concise summary in plain prose. "
    "Keep every name, number, date, place, preference, decision and open question; drop "
    "greetings and filler. Write only the summary."
)


@dataclass(frozen=True)
class Budget:
    """Token budgets derived from a window: when to fold and how much to keep."""

    threshold: int
    summary: int
    keep: int


def budget_for(window: int, threshold_fraction: float, summary_max_tokens: int) -> Budget:
    threshold = max(1, int(window * threshold_fraction))
    summary = max(16, min(summary_max_tokens, threshold // 4))
    return Budget(threshold=threshold, summary=summary, keep=max(0, threshold - summary))


def session_tokens(counter: TiktokenCounter, session: StoredWorkingMemory) -> int:
    context = counter.count(session.context) if session.context else 0
    return context + sum(counter.count_message(m.role, m.content) for m in session.messages)


def _split_point(counter: TiktokenCounter, messages: list[MemoryMessage], keep: int) -> int:
    """Index of the first message kept: the newest messages that fit into `keep` tokens."""
    used = 0
    index = len(messages)
    while index > 0:
        cost = counter.count_message(messages[index - 1].role, messages[index - 1].content)
        if used + cost > keep:
            break
        used += cost
        index -= 1
    return index


async def _summarize(
    resources: Resources, counter: TiktokenCounter, previous: str | None,
    folded: list[MemoryMessage], max_tokens: int,
) -> str:  # fmt: skip
    lines = [f"{m.role}: {m.content}" for m in folded]
    if resources.llm is None:
        if len(lines) <= INLINE_EXTRACTIVE:  # a few ms: cheaper than a thread hand-off
            return extractive_summary(previous, lines, max_tokens, counter.count)
        # Off the event loop: a fold of thousands of messages takes a while.
        return await asyncio.to_thread(
            extractive_summary, previous, lines, max_tokens, counter.count
        )
    prompt = (
        f"Existing summary:\n{previous or '(none)'}\n\nNew messages:\n"
        + "\n".join(lines)
        + f"\n\nWrite the updated summary in at most {max_tokens} tokens."
    )
    summary = await resources.llm.complete(SYSTEM_PROMPT, prompt, max_tokens)
    if counter.count(summary) > max_tokens:  # a model that overruns is cut back to the budget
        summary = extractive_summary(summary, [], max_tokens, counter.count)
    return summary


async def summarize_session(resources: Resources, ref: SessionRef) -> int:
    """Fold the session until it is under its threshold; returns how many messages were folded.

    Raises:
        BackendUnavailable: the LLM failed (the task is retried; nothing was changed).
    """
    settings = resources.settings
    folded_total = 0
    for _ in range(MAX_RACES):
        raw = await resources.working.get(ref)
        if raw is None:
            return folded_total
        session = StoredWorkingMemory.model_validate(raw)
        if session.context_window_max is None:
            return folded_total
        counter = resources.tokenizers.for_model(raw.get("model_name"))
        budget = budget_for(
            session.context_window_max,
            settings.summarization_threshold,
            settings.summary_max_tokens,
        )
        total = session_tokens(counter, session)
        if total <= budget.threshold:
            return folded_total
        split = _split_point(counter, session.messages, budget.keep)
        if split == 0:
            return folded_total  # only the summary is left over budget: nothing to fold
        folded = session.messages[:split]
        summary = await _summarize(resources, counter, session.context, folded, budget.summary)
        kept = session_tokens(
            counter,
            session.model_copy(update={"messages": session.messages[split:], "context": summary}),
        )
        landed = await resources.working.fold(
            ref, folded[0].id, folded[-1].id, split, session.context, summary, kept - total
        )
        if landed:
            folded_total += split
            logger.info("summarized %s messages of session %s", split, ref.session_id)
        else:
            logger.info("session %s changed during summarization; retrying", ref.session_id)
    return folded_total
