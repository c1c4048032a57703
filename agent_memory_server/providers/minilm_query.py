"""The local embedder's query path: single search queries on an onnxruntime session of their own.

A search embeds one short text (LoCoMo questions: 13 word pieces on average) on the request
path. The write path's session runs batches on every core behind a lock, so concurrent
queries queued on it, each splitting itself over both cores; a query session runs each query
on one thread (QUERY_EMBEDDING_THREADS, default 1) with no lock, so concurrent queries run
side by side, one per core.

QUERY_EMBEDDING_PRECISION=int8 (the default) runs queries on an int8 copy of the graph:
onnxruntime's dynamic quantisation (weights int8 per output channel, 7-bit so that AVX2
machines without VNNI do not saturate; activations quantised per call). At a dozen tokens a
query reads all of the float model's 11 M weights (42 MB) for little arithmetic; int8 reads a
quarter of that. The copy is built once, locally (no network: about 5 s of one core), from
the float graph, in the background thread that loads the query session once the server
serves (a search that comes first waits for it: a query's vector never depends on when it
came), and cached beside the float graph, keyed by a hash of the float graph, this module's
version and onnxruntime's; a checksum file guards it like the float graph's; later starts
load it in about 0.5 s. Stored vectors stay float32 from the float model: only query vectors
come from the copy (cosine to the float vectors and LoCoMo retrieval:
docs/benchmarks/vs-reference.md).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped, unused-ignore]

from agent_memory_server.providers.minilm_onnx import FloatArray, MiniLMEmbedder, _write_atomic

logger = logging.getLogger(__name__)

Precision = Literal["float32", "int8"]
# Bump whenever the quantisation options change: it is part of the cache key.
INT8_VERSION = "1"


class _DropPreprocessHint(logging.Filter):
    """onnxruntime's quantiser logs a hint about its pre-processing script on the root logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "consider to run pre-processing" not in record.getMessage()


def _quantize(source: bytes, workdir: Path) -> bytes:
    import onnx  # noqa: PLC0415
    from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: PLC0415

    model = onnx.load_from_string(source)
    out = workdir / "int8.onnx"
    hint = _DropPreprocessHint()
    logging.getLogger().addFilter(hint)
    try:
        quantize_dynamic(
            model, out, per_channel=True, reduce_range=True, weight_type=QuantType.QInt8,
            # The graph's contrib ops (Attention, SkipLayerNormalization) defeat shape
            # inference: their outputs are float32.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )  # fmt: skip
    finally:
        logging.getLogger().removeFilter(hint)
    return out.read_bytes()


def int8_graph(source: bytes, cache_dir: Path) -> tuple[bytes, bool]:
    """The int8 copy of the float graph `source`: from the cache, or built (and cached when
    the directory is writable). Returns (graph, built now)."""
    digest = hashlib.sha256(source).hexdigest()
    key = hashlib.sha256(f"{INT8_VERSION}:{ort.__version__}:{digest}".encode()).hexdigest()[:24]
    path = cache_dir / f"{MiniLMEmbedder.model_name}-int8-{key}.onnx"
    checksum_path = path.with_name(path.name + ".sha256")
    try:
        cached = path.read_bytes()
        if hashlib.sha256(cached).hexdigest() == checksum_path.read_text().strip():
            return cached, False
        logger.warning("cached int8 query model %s failed its checksum; rebuilding", path)
    except OSError:
        pass
    with tempfile.TemporaryDirectory(prefix="ams-int8-") as tmp:
        model = _quantize(source, Path(tmp))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, model)  # graph first, checksum last: no torn cache
        _write_atomic(checksum_path, (hashlib.sha256(model).hexdigest() + "\n").encode())
    except OSError as exc:
        logger.warning("cannot cache the int8 query model in %s (%s)", path, exc)
    return model, True


class QueryModel:
    """Embeds search queries (usually one text) on a session of its own, without a lock."""

    def __init__(self, embedder: MiniLMEmbedder, precision: Precision, threads: int) -> None:
        if threads < 1:
            raise ValueError("a query session needs at least one thread")
        self.precision = precision
        self.dimension = embedder.dimension
        self.built = False  # True when the int8 copy was built (not read from the cache)
        source = embedder.graph_bytes()
        if precision == "int8":
            model, self.built = int8_graph(source, embedder.cache_dir)
        else:
            model = source
        self._session = embedder.session_for(model, threads)
        self._tokenizer = embedder.tokenizer

    def embed_sync(self, texts: Sequence[str]) -> FloatArray:
        """Unit-length float32 rows, in order; one text is run at its own length (no padding)."""
        if isinstance(texts, str):
            raise TypeError("embed_sync expects a sequence of strings, not a string")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) == 1:
            ids = np.asarray([self._tokenizer.encode(texts[0]).ids], dtype=np.int64)
            mask = np.ones_like(ids)
        else:
            encodings = self._tokenizer.encode_batch(list(texts))
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(texts), width), dtype=np.int64)
            mask = np.zeros((len(texts), width), dtype=np.int64)
            for row, encoding in enumerate(encodings):
                ids[row, : len(encoding.ids)] = encoding.ids
                mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        out = self._session.run(["sentence_embedding"], feeds)[0]
        return np.asarray(out, dtype=np.float32)
