"""Topics from the real local embedder (all-MiniLM-L6-v2 on onnxruntime); no LLM, no network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from agent_memory_server.providers.embeddings import LocalMiniLM
from agent_memory_server.providers.topics import (
    DEFAULT_TOPIC_LABELS,
    EmbeddingTopicExtractor,
    candidate_phrases,
)

FOOD = "food and cooking"


class CountingEmbedder:
    """Wraps the real embedder and records every text it is asked to embed."""

    def __init__(self, inner: LocalMiniLM) -> None:
        self.inner = inner
        self.dimension = inner.dimension
        self.seen: list[str] = []

    async def embed(self, texts: Sequence[str]) -> Any:
        self.seen.extend(texts)
        return await self.inner.embed(texts)


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> LocalMiniLM:
    return LocalMiniLM(tmp_path_factory.mktemp("minilm"), None, 32)


@pytest.fixture(scope="module")
def topics(embedder: LocalMiniLM) -> EmbeddingTopicExtractor:
    return EmbeddingTopicExtractor(embedder)


async def test_cooking_gets_a_food_topic_and_keywords(topics: EmbeddingTopicExtractor) -> None:
    [found] = await topics.topics(["I love cooking pasta with fresh basil"])
    assert found[0] == FOOD
    assert {"pasta", "basil"} & set(found)


@pytest.mark.parametrize(
    "text",
    [
        "My car needs new tires before winter.",
        "I take the train to the office every day.",
        "The user writes backend services in Rust and Python.",
        "Bob has been my best friend since high school.",
    ],
)
async def test_unrelated_memories_get_no_food_topic(
    topics: EmbeddingTopicExtractor, text: str
) -> None:
    [found] = await topics.topics([text])
    assert FOOD not in found


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I booked a hotel near the beach in Lisbon.", "travel"),
        ("We adopted two kittens from the shelter.", "pets"),
        ("I play the guitar in a small jazz band.", "music"),
        ("I am learning Spanish with a tutor twice a week.", "language learning"),
        ("We are renovating the kitchen in our apartment.", "home and housing"),
        ("I have been feeling anxious and my therapist suggested journaling.", "mental health"),
    ],
)
async def test_clear_memories_get_their_topic(
    topics: EmbeddingTopicExtractor, text: str, label: str
) -> None:
    [labels] = await topics.labels_for(await topics.embedder.embed([text]))
    assert labels[0] == label


async def test_chit_chat_gets_no_topic_label(topics: EmbeddingTopicExtractor) -> None:
    vectors = await topics.embedder.embed(["Okay, sounds good, thanks.", "The user's name is Sam."])
    assert await topics.labels_for(vectors) == [[], []]


async def test_output_shape(topics: EmbeddingTopicExtractor) -> None:
    texts = [
        "We went hiking in the mountains and camped by a lake.",
        "My manager wants the quarterly report by Friday, and the report is late.",
    ]
    for found in await topics.topics(texts):
        assert found, "a clear memory gets at least one topic"
        assert len(found) == len(set(found))
        assert all(t == t.lower() and t.strip() == t and t for t in found)
        assert len([t for t in found if t in DEFAULT_TOPIC_LABELS]) <= topics.max_labels
        assert len([t for t in found if t not in DEFAULT_TOPIC_LABELS]) <= topics.max_keywords


async def test_batch_order_preserved_and_empty_texts(topics: EmbeddingTopicExtractor) -> None:
    texts = [
        "I play chess online every evening.",
        "",
        "I love cooking pasta with fresh basil",
        "   ",
        "A snowstorm is expected this weekend.",
    ]
    batch = await topics.topics(texts)
    assert batch[1] == [] and batch[3] == []
    assert batch == [(await topics.topics([t]))[0] for t in texts]
    assert "games" in batch[0] and FOOD in batch[2] and "weather" in batch[4]
    assert await topics.topics([]) == []


async def test_precomputed_vectors_are_reused(embedder: LocalMiniLM) -> None:
    counting = CountingEmbedder(embedder)
    extractor = EmbeddingTopicExtractor(counting)
    texts = ["I love cooking pasta with fresh basil", "", "My dog Rex needs to go to the vet."]
    vectors = await embedder.embed(texts)
    with_vectors = await extractor.topics(texts, vectors)
    assert not set(texts) & set(counting.seen), "memories must not be embedded again"
    assert with_vectors == await EmbeddingTopicExtractor(embedder).topics(texts)


async def test_labels_embedded_once_and_keywords_cached(embedder: LocalMiniLM) -> None:
    counting = CountingEmbedder(embedder)
    extractor = EmbeddingTopicExtractor(counting)
    texts = ["I baked sourdough bread for my family."]
    vectors = await embedder.embed(texts)
    first = await extractor.topics(texts, vectors)
    calls = len(counting.seen)
    assert counting.seen.count(FOOD) == 1
    assert await extractor.topics(texts, vectors) == first
    assert len(counting.seen) == calls, "labels and candidate words come from memory"


async def test_vectors_must_match_texts(topics: EmbeddingTopicExtractor) -> None:
    vectors = np.zeros((1, topics.embedder.dimension), dtype=np.float32)
    with pytest.raises(ValueError, match="1 vectors for 2 texts"):
        await topics.topics(["a", "b"], vectors)
    with pytest.raises(ValueError, match="dimensions"):
        await topics.topics(["a"], np.ones((1, 7), dtype=np.float32))


async def test_exclude_keeps_names_out_of_keywords(topics: EmbeddingTopicExtractor) -> None:
    text = "Alice moved to Paris last May with her sister Maria."
    [plain] = await topics.topics([text])
    [excluded] = await topics.topics([text], exclude=[["Alice", "Paris", "Maria"]])
    assert {"alice", "paris", "maria"} & set(plain)
    assert not {"alice", "paris", "maria"} & set(excluded)


async def test_custom_labels_without_keywords(embedder: LocalMiniLM) -> None:
    extractor = EmbeddingTopicExtractor(embedder, ["Cooking", "astronomy"], max_keywords=0)
    found = await extractor.topics(["I love cooking pasta with fresh basil", "Quarterly taxes."])
    assert found == [["cooking"], []]


async def test_no_labels_at_all(embedder: LocalMiniLM) -> None:
    extractor = EmbeddingTopicExtractor(embedder, [], max_keywords=2)
    [found] = await extractor.topics(["We adopted two kittens from the shelter."])
    assert 1 <= len(found) <= 2 and "kittens" in found


def test_candidate_phrases() -> None:
    text = "I love cooking pasta, with fresh basil! Alice's sister doesn't like it."
    assert candidate_phrases(text) == ["cooking", "pasta", "fresh", "basil", "alice", "sister"]
    two = candidate_phrases(text, max_ngram=2)
    assert "cooking pasta" in two and "fresh basil" in two
    assert "pasta fresh" not in two, "phrases never cross punctuation"
    assert candidate_phrases("Okay, thanks!") == []
    assert len(candidate_phrases(" ".join(f"word{i}x" for i in range(100)), limit=5)) == 5


def test_bad_arguments(embedder: LocalMiniLM) -> None:
    with pytest.raises(ValueError):
        EmbeddingTopicExtractor(embedder, max_ngram=0)


async def test_a_string_is_not_a_batch(topics: EmbeddingTopicExtractor) -> None:
    with pytest.raises(TypeError):
        await topics.topics("I love pasta")


def test_default_labels_are_sensible() -> None:
    assert 25 <= len(DEFAULT_TOPIC_LABELS) <= 40
    assert all(label == label.lower() for label in DEFAULT_TOPIC_LABELS)
