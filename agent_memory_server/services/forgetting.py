"""Forgetting: delete long-term memories by age, inactivity or a budget.

Candidates are the records in the scope (namespace, user_id, session_id; None = any) that
are not pinned, not in `pinned_ids`, and of a type in `memory_type_allowlist` when one is
given. Other records are never forgotten and do not count against the budget.

For a candidate, age = now - created_at and inactivity = now - its last access, the later of
the indexed `last_accessed` and the access time that searches record. The policy forgets:
- with max_age_days and max_inactive_days: a record older than max_age_days that is also
  inactive for more than max_inactive_days; and, when hard_age_multiplier is given, any
  record older than max_age_days * hard_age_multiplier however recently it was accessed;
- with max_age_days alone: a record older than max_age_days;
- with max_inactive_days alone: a record inactive for more than max_inactive_days;
- with budget N: of the candidates left after the rules above, all but the N most recently
  active (the later of created_at and last access; ties keep the larger id). With
  `budget_per_owner` the budget applies to each (namespace, user_id) separately.
The records chosen are deleted least recently active first, at most `limit` of them; with
`dry_run` nothing is deleted and the answer lists what would have been.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from agent_memory_server.models.common import utcnow
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.models.upkeep import ForgetPolicy
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.services.compaction import records_in_scope, scope_filter
from agent_memory_server.services.long_term import delete_memories

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400.0
BATCH = 500


@dataclass(frozen=True)
class ForgetResult:
    """What a forgetting pass looked at and what it deleted (or, with dry_run, would)."""

    scanned: int
    deleted: int
    deleted_ids: list[str]
    dry_run: bool


@dataclass(frozen=True)
class Candidate:
    """A record that may be forgotten, with the times the policy looks at (epoch seconds)."""

    id: str
    owner: tuple[str | None, str | None]
    created_at: float
    last_access: float

    @property
    def activity(self) -> float:
        return max(self.created_at, self.last_access)


def _expired(policy: ForgetPolicy, c: Candidate, now: float) -> bool:
    age = (now - c.created_at) / SECONDS_PER_DAY
    inactive = (now - c.last_access) / SECONDS_PER_DAY
    max_age, max_inactive = policy.max_age_days, policy.max_inactive_days
    if max_age is not None and max_inactive is not None:
        hard = policy.hard_age_multiplier
        return (age > max_age and inactive > max_inactive) or (
            hard is not None and age > max_age * hard
        )
    if max_age is not None:
        return age > max_age
    if max_inactive is not None:
        return inactive > max_inactive
    return False


def select_for_forgetting(
    policy: ForgetPolicy, candidates: Sequence[Candidate], now: float, budget_per_owner: bool
) -> list[Candidate]:
    """The candidates the policy forgets, least recently active first (see the module doc)."""
    chosen = [c for c in candidates if _expired(policy, c, now)]
    if policy.budget is not None:
        gone = {c.id for c in chosen}
        groups: dict[object, list[Candidate]] = defaultdict(list)
        for c in candidates:
            if c.id not in gone:
                groups[c.owner if budget_per_owner else None].append(c)
        for group in groups.values():
            group.sort(key=lambda c: (c.activity, c.id), reverse=True)
            chosen += group[policy.budget :]
    return sorted(chosen, key=lambda c: (c.activity, c.id))


async def _candidates(
    resources: Resources, records: Sequence[MemoryRecord], policy: ForgetPolicy,
    exempt: set[str],
) -> list[Candidate]:  # fmt: skip
    allowed = set(policy.memory_type_allowlist or [])
    eligible = [
        r
        for r in records
        if not r.pinned and r.id not in exempt and (not allowed or r.memory_type in allowed)
    ]
    candidates: list[Candidate] = []
    for start in range(0, len(eligible), BATCH):
        chunk = eligible[start : start + BATCH]
        accesses = await resources.long_term.last_accesses([r.id for r in chunk])
        for record, access in zip(chunk, accesses, strict=True):
            indexed = record.last_accessed.timestamp()
            candidates.append(
                Candidate(
                    record.id,
                    (record.namespace, record.user_id),
                    record.created_at.timestamp(),
                    max(indexed, access) if access is not None else indexed,
                )
            )
    return candidates


async def forget(
    resources: Resources,
    policy: ForgetPolicy,
    *,
    namespace: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
    pinned_ids: Sequence[str] = (),
    budget_per_owner: bool = False,
    now: datetime | None = None,
) -> ForgetResult:
    """Delete what `policy` forgets in the scope (see the module doc for the exact rules).

    Args:
        limit: delete at most this many (the least recently active first).
        dry_run: delete nothing; report what would be deleted.
        pinned_ids: records never to forget, besides pinned ones.
        budget_per_owner: apply the budget to each (namespace, user_id) on its own.
        now: the time ages are measured from (default: the current time).
    """
    namespace, user_id = tenancy.scope(namespace=namespace, user_id=user_id, what="Forgetting")
    records = await records_in_scope(
        resources, scope_filter(namespace=namespace, user_id=user_id, session_id=session_id)
    )
    candidates = await _candidates(resources, records, policy, set(pinned_ids))
    at = (now or utcnow()).timestamp()
    chosen = select_for_forgetting(policy, candidates, at, budget_per_owner)
    ids = [c.id for c in (chosen if limit is None else chosen[:limit])]
    if not dry_run:
        for start in range(0, len(ids), BATCH):
            await delete_memories(resources, ids[start : start + BATCH])
        if ids:
            logger.info("forgot %s of %s memories in scope", len(ids), len(records))
    return ForgetResult(len(records), len(ids), ids, dry_run)
