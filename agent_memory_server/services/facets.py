"""Facet counts of long-term memory: how many of the matching memories carry each value of a
field (topics, entities, namespaces...), confined to the caller's tenants like a search."""

from __future__ import annotations

import asyncio
from collections import Counter

from redisvl.query.filter import FilterExpression

from agent_memory_server.models.long_term import FacetCount, FacetRequest, FacetResponse
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.storage.filters import NUMERIC_FIELDS, TAG_FIELDS, combine
from agent_memory_server.storage.schema import TAG_SEPARATOR

MULTI_VALUED = frozenset({"topics", "entities"})


async def _field(
    resources: Resources, field: str, where: FilterExpression | None, limit: int
) -> list[FacetCount]:
    rows = await resources.long_term.group_counts([field], where)
    counts: Counter[str] = Counter()
    for values, count in rows:
        raw = values[field]
        if not raw:
            continue
        # A multi-valued tag groups by its stored string ("a|b"): each value counts apart.
        for value in raw.split(TAG_SEPARATOR) if field in MULTI_VALUED else [raw]:
            if value:
                counts[value] += count
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [FacetCount(value=value, count=count) for value, count in ranked]


async def facets(resources: Resources, request: FacetRequest) -> FacetResponse:
    """The most frequent values of each requested field, and how many memories match."""
    tags = {f: getattr(request, f) for f in TAG_FIELDS}
    where = tenancy.confine(combine(tags, {f: getattr(request, f) for f in NUMERIC_FIELDS}))
    fields = list(dict.fromkeys(request.fields))
    total, *counted = await asyncio.gather(
        resources.long_term.count(where),
        *(_field(resources, f, where, request.limit) for f in fields),
    )
    return FacetResponse(total=total, facets=dict(zip(fields, counted, strict=True)))
