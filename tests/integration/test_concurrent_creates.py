"""Creates sent at once share embedding batches (providers/batching.py): each record still
gets its own text's vector and is found by it, also when some of the writes are duplicates
whose embedding is dropped while the batch runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np

from agent_memory_server.config import Settings
from agent_memory_server.providers.embeddings import LocalMiniLM
from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from tests.conftest import AppClient

TEXTS = [
    "Alice moved to Paris in 2021.",
    "Bob plays the cello every Sunday morning.",
    "The quarterly report is due on Friday.",
    "Carol is allergic to peanuts and shellfish.",
    "Dan's flight to Lisbon leaves at 7 am on the 14th, from terminal two.",
    "Eve prefers dark mode.",
    "The team retrospective moved to Thursday afternoons after the release.",
    "Frank's daughter starts school in September.",
]
STORED = "Grace keeps bees on her roof."


async def test_concurrent_creates_each_store_their_own_vector(
    make_settings: Callable[..., Settings], start_app: Callable[[Settings], Any]
) -> None:
    async with start_app(make_settings(embedding_coalesce=True)) as app:
        await _creates_each_store_their_own_vector(app)
        local = app.resources.embedder.inner  # type: ignore[attr-defined]
        assert isinstance(local, LocalMiniLM) and local.batches is not None
        assert local.batches.stats.calls >= len(TEXTS)


async def _creates_each_store_their_own_vector(app: AppClient) -> None:
    first = {"memories": [{"id": "stored", "text": STORED, "namespace": "n"}]}
    assert (await app.http.post("/v1/long-term-memory/", json=first)).status_code == 200
    bodies = [{"memories": [{"id": f"m{i}", "text": t, "namespace": "n"}]}
              for i, t in enumerate(TEXTS)]  # fmt: skip
    # two duplicates of a stored text: their early embedding is dropped mid-batch
    bodies += [{"memories": [{"id": f"dup{i}", "text": STORED, "namespace": "n"}]} for i in (0, 1)]
    answers = await asyncio.gather(
        *(app.http.post("/v1/long-term-memory/", json=b) for b in bodies)
    )
    assert [a.status_code for a in answers] == [200] * len(bodies)
    stored = await app.resources.long_term.get_vectors([f"m{i}" for i in range(len(TEXTS))])
    alone = MiniLMEmbedder().embed_sync
    for text, vector in zip(TEXTS, stored, strict=True):
        assert vector is not None
        assert np.abs(vector - alone([text])[0]).max() < 1e-5, text
    for i, text in enumerate(TEXTS):  # found by its own text (an int8 query vector)
        body = {"text": text, "search_mode": "semantic", "limit": 1, "namespace": {"eq": "n"}}
        found = (await app.http.post("/v1/long-term-memory/search", json=body)).json()
        assert found["memories"][0]["id"] == f"m{i}" and found["memories"][0]["dist"] < 0.05
    assert (await app.http.get("/v1/long-term-memory/dup0")).status_code == 404
