"""Per-session term counts of the long-term index, for hybrid ranking's session text.

`services/ranking.py: session_text_scores` scores each session as ONE document, the
session's records taken together, by BM25 of the query's terms. What that needs, read at
query time in one pipelined round trip of FT.AGGREGATE GROUPBY @session_id (nothing new is
stored): how many visible records each session has (its length), and for each query term
how many of a session's records contain it (its term frequency). "Visible" is the search's
own filter, tenant and namespace included, so another tenant's records never count. A
record without a session is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redisvl.query.filter import FilterExpression

from agent_memory_server.storage.filters import text_query_string
from agent_memory_server.storage.replies import as_str
from agent_memory_server.storage.search_index import SearchIndex

_COUNT = "__count"


@dataclass
class SessionTerms:
    """sizes: session id -> its visible records; matches[i]: session id -> its records that
    contain terms[i]."""

    sizes: dict[str, int] = field(default_factory=dict)
    matches: list[dict[str, int]] = field(default_factory=list)

    def add(self, other: SessionTerms) -> None:
        """Sum another part (one namespace's index on a cluster) into this one."""
        _add_counts(self.sizes, other.sizes)
        if not self.matches:
            self.matches = [{} for _ in other.matches]
        for mine, theirs in zip(self.matches, other.matches, strict=True):
            _add_counts(mine, theirs)


def _add_counts(into: dict[str, int], counts: dict[str, int]) -> None:
    for session, n in counts.items():
        into[session] = into.get(session, 0) + n


def _session_counts(reply: Any) -> dict[str, int]:
    """session id -> count from an FT.AGGREGATE GROUPBY @session_id REDUCE COUNT reply."""
    if isinstance(reply, dict):  # RESP3
        rows = [
            r.get(b"extra_attributes") or r.get("extra_attributes") or {}
            for r in reply.get(b"results") or reply.get("results") or []
        ]
        pairs = [{as_str(k): v for k, v in row.items()} for row in rows]
    else:  # RESP2: [total, [k, v, k, v, ...], ...]
        pairs = [
            {as_str(k): v for k, v in zip(row[::2], row[1::2], strict=True)} for row in reply[1:]
        ]
    counts: dict[str, int] = {}
    for row in pairs:
        session = row.get("session_id")
        if session is not None and as_str(session):
            counts[as_str(session)] = int(as_str(row.get(_COUNT) or 0))
    return counts


class SessionTermsStore:
    """The `session_terms` read of one index (a base of LongTermStore)."""

    redis: Redis
    index: SearchIndex

    async def session_terms(
        self, terms: Sequence[str], where: FilterExpression | None, max_sessions: int
    ) -> SessionTerms:
        """Visible records per session, and per term the records containing it per session
        (at most `max_sessions` sessions each: the caller bounds the visible records)."""
        scope = str(where) if where is not None else "*"
        queries = [scope] + [
            f"({text_query_string('text', [term])}) {scope}" if where is not None
            else text_query_string("text", [term])
            for term in terms
        ]  # fmt: skip
        async with self.redis.pipeline(transaction=False) as pipe:
            for query in queries:
                pipe.execute_command(
                    "FT.AGGREGATE", self.index.name, query,
                    "GROUPBY", 1, "@session_id", "REDUCE", "COUNT", 0, "AS", _COUNT,
                    "LIMIT", 0, max(1, max_sessions), "DIALECT", 2,
                )  # fmt: skip
            replies = await pipe.execute()
        counts = [_session_counts(r) for r in replies]
        return SessionTerms(counts[0], counts[1:])
