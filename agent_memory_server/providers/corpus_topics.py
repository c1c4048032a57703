"""Corpus-level topic modelling with BERTopic: the optional `bertopic` extra.

BERTopic clusters the memories' own vectors (UMAP, then HDBSCAN) and names each cluster
by its most distinctive words (class-based TF-IDF), so no embedding model is loaded here and
sentence-transformers (which BERTopic declares, and which would pull torch) is never needed.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from agent_memory_server.errors import FeatureUnavailable

INSTALL_HINT = (
    "topic modelling needs the optional bertopic extra: `uv sync --extra bertopic` "
    "(or `pip install 'agent-memory-server[bertopic]'`)"
)


@dataclass(frozen=True)
class FittedTopic:
    """One topic: its keywords, best first, and the indexes of its member texts."""

    keywords: list[str]
    members: list[int]


def _libraries() -> tuple[Any, Any, Any, Any, Any]:
    """BERTopic and its parts, imported on first use: the extra is optional."""
    try:
        return (
            importlib.import_module("bertopic").BERTopic,
            importlib.import_module("hdbscan").HDBSCAN,
            importlib.import_module("sklearn.feature_extraction.text").CountVectorizer,
            importlib.import_module("umap").UMAP,
            importlib.import_module("bertopic.vectorizers").ClassTfidfTransformer,
        )
    except ImportError as e:
        raise FeatureUnavailable(f"{INSTALL_HINT} ({e})") from e


def fit_topics(
    texts: Sequence[str], vectors: np.ndarray[Any, Any], min_topic_size: int, seed: int = 42
) -> list[FittedTopic]:
    """Topics of a corpus, largest first; texts in no topic (outliers) are left out.

    CPU-bound (seconds for thousands of texts; the first call in a process also compiles
    UMAP's numba code): call it from a worker thread.
    """
    bertopic, hdbscan, count_vectorizer, umap, class_tfidf = _libraries()
    n = len(texts)
    model = bertopic(
        umap_model=umap(
            n_neighbors=max(2, min(15, n - 1)), n_components=max(2, min(5, n - 2)),
            min_dist=0.0, metric="cosine", random_state=seed,
        ),
        hdbscan_model=hdbscan(
            min_cluster_size=min_topic_size, metric="euclidean", prediction_data=False
        ),
        vectorizer_model=count_vectorizer(stop_words="english", ngram_range=(1, 2)),
        # Words frequent in every topic (the user's own name, say) do not name any of them.
        ctfidf_model=class_tfidf(bm25_weighting=True, reduce_frequent_words=True),
        top_n_words=8,
    )  # fmt: skip
    labels, _ = model.fit_transform(list(texts), embeddings=vectors)
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        if label >= 0:  # -1: an outlier
            members.setdefault(int(label), []).append(index)
    topics = [
        FittedTopic([word for word, _ in model.get_topic(label) if word], indexes)
        for label, indexes in members.items()
    ]
    return sorted(topics, key=lambda t: -len(t.members))
