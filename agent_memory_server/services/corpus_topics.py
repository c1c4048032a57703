"""Topics of a whole scope of memories (a user's, say), modelled with BERTopic.

Per-record topics come from the enrichment pipeline (labels and keywords); this finds the
themes a corpus actually has, names them by their distinctive words and, on request, tags
the memories with them. Needs the optional `bertopic` extra (providers/corpus_topics.py).
"""

from __future__ import annotations

import asyncio

import numpy as np

from agent_memory_server.errors import InvalidRequest
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.models.upkeep import (
    ModeledTopic,
    TopicModelRequest,
    TopicModelResponse,
)
from agent_memory_server.providers.corpus_topics import FittedTopic, fit_topics
from agent_memory_server.resources import Resources
from agent_memory_server.services import tenancy
from agent_memory_server.services.compaction import records_in_scope, scope_filter

MAX_MEMORIES = 20_000  # the newest of a larger scope are modelled
FEWEST = 10  # UMAP and HDBSCAN need a few points to find any structure


def _label(topic: FittedTopic) -> str:
    return ", ".join(topic.keywords[:3])


async def _apply(
    resources: Resources, records: list[MemoryRecord], topics: list[FittedTopic]
) -> int:
    """Add each topic's label to its members' topics; the number of records changed."""
    rows = []
    for topic in topics:
        label = _label(topic)
        for index in topic.members:
            record = records[index]
            if label not in (record.topics or []):
                rows.append((record.id, [*(record.topics or []), label], record.entities or []))
    await resources.long_term.set_tags(rows)
    return len(rows)


async def model_topics(resources: Resources, request: TopicModelRequest) -> TopicModelResponse:
    """Model the topics of the scope's newest memories (at most MAX_MEMORIES).

    Raises:
        InvalidRequest: the scope has too few memories to model.
        FeatureUnavailable: the bertopic extra is not installed.
    """
    namespace, user_id = tenancy.scope(
        namespace=request.namespace, user_id=request.user_id, what="Topic modelling"
    )
    found = await records_in_scope(resources, scope_filter(namespace=namespace, user_id=user_id))
    # Newest first, ties by id: the same memories always reach the model in the same order.
    found.sort(key=lambda r: (-r.created_at.timestamp(), r.id))
    found = found[:MAX_MEMORIES]
    vectors = await resources.long_term.get_vectors([r.id for r in found])
    pairs = [(r, v) for r, v in zip(found, vectors, strict=True) if v is not None]
    fewest = max(FEWEST, 2 * request.min_topic_size)
    if len(pairs) < fewest:
        raise InvalidRequest(
            f"{len(pairs)} memories in scope; topic modelling needs at least {fewest} "
            "(10, and twice min_topic_size)"
        )
    records = [r for r, _ in pairs]
    matrix = np.stack([v for _, v in pairs])
    texts = [r.text for r in records]
    fitted = await asyncio.to_thread(fit_topics, texts, matrix, request.min_topic_size)
    applied = await _apply(resources, records, fitted) if request.apply else 0
    topics = [
        ModeledTopic(
            label=_label(t), keywords=t.keywords, memory_count=len(t.members),
            memory_ids=[records[i].id for i in t.members],
        )
        for t in fitted
    ]  # fmt: skip
    outliers = len(records) - sum(t.memory_count for t in topics)
    return TopicModelResponse(
        memories=len(records), outliers=outliers, topics=topics, applied=applied
    )
