"""Topics and entities for records that came without them: local models, no LLM calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.resources import Resources


def needs_enrichment(resources: Resources, record: MemoryRecord) -> bool:
    return (record.entities is None and resources.entities is not None) or (
        record.topics is None and resources.topics is not None
    )


async def enrich(
    resources: Resources, records: Sequence[MemoryRecord], vectors: np.ndarray[Any, Any]
) -> None:
    """Fill `entities` and `topics` where they are None (given lists are kept as they are).

    Topics reuse the records' own vectors (the ones stored for search), so nothing is
    embedded twice.
    """
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
