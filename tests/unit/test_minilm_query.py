"""The local embedder's query path (providers/minilm_query.py), with the real model: query
sessions give the float model's vectors (float32) or close to them (int8), the int8 copy is
built once and read from its cache after, a damaged copy is rebuilt, and searches through
LocalMiniLM use the query session once it is loaded."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent_memory_server.providers.embeddings import LocalMiniLM
from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from agent_memory_server.providers.minilm_query import QueryModel

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"
QUESTIONS = [
    "Where does Alice live now?", "When did Bob start playing the cello?",
    "What is Caroline's identity?", "How many children does Melanie have?", "x", "",
]  # fmt: skip


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("minilm-query-cache")


@pytest.fixture(scope="module")
def embedder(cache_dir: Path) -> MiniLMEmbedder:
    return MiniLMEmbedder(cache_dir=cache_dir)


@pytest.fixture(scope="module")
def int8(embedder: MiniLMEmbedder) -> QueryModel:
    return QueryModel(embedder, "int8", 1)


def _texts() -> list[str]:
    items: list[dict[str, Any]] = json.loads(REFERENCE.read_text(encoding="utf-8"))["items"]
    return QUESTIONS + [item["text"] for item in items]


def test_float32_query_session_gives_the_float_models_vectors(embedder: MiniLMEmbedder) -> None:
    query = QueryModel(embedder, "float32", 1)
    texts = _texts()
    expected = embedder.embed_sync(texts)
    alone = np.vstack([query.embed_sync([t]) for t in texts])
    np.testing.assert_allclose(alone, expected, atol=1e-5)
    np.testing.assert_allclose(query.embed_sync(texts), expected, atol=1e-5)  # padded batch
    assert query.embed_sync([]).shape == (0, 384)
    with pytest.raises(TypeError):
        query.embed_sync("not a list")


def test_int8_query_vectors_stay_close_to_the_float_ones(
    embedder: MiniLMEmbedder, int8: QueryModel
) -> None:
    texts = _texts()
    expected = embedder.embed_sync(texts)
    got = np.vstack([int8.embed_sync([t]) for t in texts])
    assert got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(got * expected, axis=1)
    assert cosines.min() >= 0.97, cosines.min()  # "x" and "": 0.978; questions: 0.99+
    assert cosines.mean() >= 0.985, cosines.mean()  # the reference texts: long ones too
    assert cosines[:4].min() >= 0.99, cosines[:4]  # questions
    # Close is not identical: the int8 copy really is another model.
    assert cosines.max() < 0.99999
    # The nearest of a few memories is the same as with the float model.
    memories = embedder.embed_sync(
        ["Alice moved to Paris in 2021.", "Bob took up the cello last spring.",
         "Melanie has three children.", "The report is due on Friday."]
    )  # fmt: skip
    for question in (QUESTIONS[0], QUESTIONS[1], QUESTIONS[3]):  # each has its answer here
        want = int(np.argmax(memories @ embedder.embed_sync([question])[0]))
        assert int(np.argmax(memories @ int8.embed_sync([question])[0])) == want, question


def test_the_int8_copy_is_cached_and_a_damaged_one_rebuilt(
    cache_dir: Path, embedder: MiniLMEmbedder, int8: QueryModel
) -> None:
    copies = sorted(cache_dir.glob("*-int8-*.onnx"))
    assert len(copies) == 1 and copies[0].stat().st_size > 5_000_000
    expected = int8.embed_sync(["cache test question"])
    again = QueryModel(embedder, "int8", 1)
    assert not again.built
    np.testing.assert_allclose(again.embed_sync(["cache test question"]), expected, atol=1e-6)
    copies[0].write_bytes(copies[0].read_bytes()[:1000])  # truncated: its checksum fails
    rebuilt = QueryModel(embedder, "int8", 1)
    assert rebuilt.built
    np.testing.assert_allclose(rebuilt.embed_sync(["cache test question"]), expected, atol=1e-6)


def test_local_embedder_answers_queries_on_the_query_session(
    cache_dir: Path, embedder: MiniLMEmbedder, int8: QueryModel
) -> None:
    local = LocalMiniLM(cache_dir, None, 32, "int8", 1)
    assert local.query_model == "local:all-MiniLM-L6-v2/int8"

    async def run() -> tuple[Any, Any]:
        assert not local.query_session_ready
        # Not warmed: the first query waits for the query session's load, as all do.
        first = await local.embed_query(["Where does Alice live now?"])
        assert local.query_session_ready
        stored = await local.embed(["Where does Alice live now?"])
        return first, stored

    first, stored = asyncio.run(run())
    np.testing.assert_allclose(first, int8.embed_sync(["Where does Alice live now?"]), atol=1e-6)
    float_vector = embedder.embed_sync(["Where does Alice live now?"])
    np.testing.assert_allclose(stored, float_vector, atol=1e-5)  # writes stay float32


def test_concurrent_queries_get_their_own_vectors(int8: QueryModel) -> None:
    """The query session has no lock: queries run side by side, each with its own answer."""
    texts = [f"What did person number {i} do on day {i * 7 % 31}?" for i in range(24)]
    expected = np.vstack([int8.embed_sync([t]) for t in texts])

    async def run() -> list[Any]:
        return list(await asyncio.gather(*(asyncio.to_thread(int8.embed_sync, [t]) for t in texts)))

    got = np.vstack(asyncio.run(run()))
    np.testing.assert_allclose(got, expected, atol=1e-6)
