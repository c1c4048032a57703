"""Topics and entities for records that came without them: local models, no LLM calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.resources import Resources


def _llm_tags(resources: Resources, kind: str) -> bool:
    settings = resources.settings
    chosen = settings.entity_extraction if kind == "entities" else settings.topic_extraction
    return resources.tagger is not None and chosen == "llm"


def needs_enrichment(resources: Resources, record: MemoryRecord) -> bool:
    entities = resources.entities is not None or _llm_tags(resources, "entities")
    topics = resources.topics is not None or _llm_tags(resources, "topics")
    return (record.entities is None and entities) or (record.topics is None and topics)


async def enrich(
    resources: Resources, records: Sequence[MemoryRecord], vectors: np.ndarray[Any, Any]
) -> None:
    """Fill `entities` and `topics` where they are None (given lists are kept as they are).

    Topics reuse the records' own vectors (the ones stored for search), so nothing is
    embedded twice.
    """
    tag_entities, tag_topics = _llm_tags(resources, "entities"), _llm_tags(resources, "topics")
    todo = [
        i for i, r in enumerate(records)
        if (r.entities is None and tag_entities) or (r.topics is None and tag_topics)
    ]  # fmt: skip
    if todo and resources.tagger is not None:
        tags = await resources.tagger.tag([records[i].text for i in todo])
        for i, (llm_topics, llm_entities) in zip(todo, tags, strict=True):
            if tag_entities and records[i].entities is None:
                records[i].entities = llm_entities
            if tag_topics and records[i].topics is None:
                records[i].topics = llm_topics
    todo = [i for i, r in enumerate(records) if r.entities is None]
    if resources.entities is not None and todo:
        found = await resources.entities.aextract([records[i].text for i in todo])
        for i, entities in zip(todo, found, strict=True):
            records[i].entities = entities
    todo = [i for i, r in enumerate(records) if r.topics is None]
    if resources.topics is not None and todo:
        topics = await resources.topics.topics(
            [records[i].text for i in todo],
            vectors[todo],
            exclude=[records[i].entities or [] for i in todo],
        )
        for i, labels in zip(todo, topics, strict=True):
            records[i].topics = labels
