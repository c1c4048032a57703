"""Docket tasks of long-term memory upkeep: compaction and forgetting, on demand and periodic;
topic modelling on demand.

The periodic tasks are automatic Perpetuals: every worker (the API's embedded one included)
seeds them, Docket keeps one of each per docket, and each ticks every minute. A tick reads
its interval from the settings and claims a `last_run` key that expires with the interval, so
a run starts at most once per interval across all workers and restarts (a new interval
takes effect when the current one runs out). A due tick queues the on-demand task (retried with
exponential back-off) under a fixed key, so runs never pile up.

A job that is off (COMPACTION_INTERVAL_MINUTES=0; FORGETTING_ENABLED=false or no rule)
cancels its tick, so it does not stay queued; Docket re-seeds automatic perpetuals at worker
start and every minute, which costs a no-op run a minute. A job that is on is always queued:
a worker meant to run the due work and stop (`run_until_finished`, the tests' `drain`) must
be created with `schedule_automatic_tasks=False`, or it never finishes.
"""

from __future__ import annotations

import time
from datetime import timedelta

from docket import Depends, ExponentialRetry, Perpetual

from agent_memory_server.config import Settings
from agent_memory_server.models.upkeep import ForgetPolicy, TopicModelRequest
from agent_memory_server.resources import Resources
from agent_memory_server.services.compaction import CompactionResult, compact
from agent_memory_server.services.corpus_topics import model_topics
from agent_memory_server.services.forgetting import ForgetResult, forget
from agent_memory_server.services.scheduler import enqueue
from agent_memory_server.tasks.context import Caller, as_caller, current_resources, default_retry

TICK = timedelta(minutes=1)
COMPACTION = "compaction"
FORGETTING = "forgetting"


async def compact_long_term_memory(
    namespace: str | None = None,
    user_id: str | None = None,
    caller: Caller = None,
    retry: ExponentialRetry = default_retry(),  # noqa: B008 - Docket reads dependencies from defaults
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> CompactionResult:
    """Remove duplicates and merge near-duplicates in a namespace/user scope (None = all)."""
    with as_caller(caller):
        return await compact(resources, namespace=namespace, user_id=user_id)


async def forget_long_term_memory(
    policy: ForgetPolicy,
    namespace: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
    pinned_ids: list[str] | None = None,
    budget_per_owner: bool = False,
    caller: Caller = None,
    retry: ExponentialRetry = default_retry(),  # noqa: B008
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> ForgetResult:
    """Forget memories of a scope by the policy (see services/forgetting.py)."""
    with as_caller(caller):
        return await forget(
            resources, policy, namespace=namespace, user_id=user_id, session_id=session_id,
            limit=limit, dry_run=dry_run, pinned_ids=pinned_ids or [],
            budget_per_owner=budget_per_owner,
        )  # fmt: skip


async def model_memory_topics(
    namespace: str | None = None,
    user_id: str | None = None,
    min_topic_size: int = 5,
    apply: bool = True,
    caller: Caller = None,
    retry: ExponentialRetry = default_retry(),  # noqa: B008
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> int:
    """Model a scope's topics with BERTopic and label its memories; returns the topic count."""
    request = TopicModelRequest(
        namespace=namespace, user_id=user_id, min_topic_size=min_topic_size, apply=apply
    )
    with as_caller(caller):
        return len((await model_topics(resources, request)).topics)


def periodic_forget_policy(settings: Settings) -> ForgetPolicy | None:
    """The policy of the periodic forgetting job, or None when it is off or has no rule (the
    settings warn of that when they are read)."""
    rules = settings.forgetting_rules() if settings.forgetting_enabled else None
    return None if rules is None else ForgetPolicy.model_validate(rules)


async def due(perpetual: Perpetual, resources: Resources, job: str, minutes: float | None) -> bool:
    """One tick of a periodic job: True when this interval's run is claimed here.

    A job that is off (`minutes` None or 0) cancels its tick (see the module doc); False also
    when another worker has claimed the interval."""
    if minutes is None or minutes <= 0:
        perpetual.cancel()
        return False
    return await resources.jobs.claim_run(job, time.time(), minutes * 60)


async def periodic_compaction(
    caller: Caller = None,  # queued by Docket itself: always None
    perpetual: Perpetual = Perpetual(every=TICK, automatic=True),  # noqa: B008
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> bool:
    """Queue a compaction of all memory once per COMPACTION_INTERVAL_MINUTES (0 = off)."""
    if not await due(
        perpetual, resources, COMPACTION, resources.settings.compaction_interval_minutes
    ):
        return False
    key = resources.jobs.task_key(COMPACTION)
    await enqueue(resources, compact_long_term_memory, None, None, key=key)
    return True


async def periodic_forgetting(
    caller: Caller = None,  # queued by Docket itself: always None
    perpetual: Perpetual = Perpetual(every=TICK, automatic=True),  # noqa: B008
    resources: Resources = Depends(current_resources),  # noqa: B008
) -> bool:
    """Queue forgetting by the FORGETTING_* policy once per FORGETTING_INTERVAL_MINUTES.

    The budget applies to each namespace and user on its own.
    """
    settings = resources.settings
    policy = periodic_forget_policy(settings)
    minutes = settings.forgetting_interval_minutes if policy is not None else None
    if not await due(perpetual, resources, FORGETTING, minutes) or policy is None:
        return False
    key = resources.jobs.task_key(FORGETTING)
    await enqueue(resources, forget_long_term_memory, policy, key=key, budget_per_owner=True)
    return True


MAINTENANCE_TASKS = [
    compact_long_term_memory,
    forget_long_term_memory,
    model_memory_topics,
    periodic_compaction,
    periodic_forgetting,
]
