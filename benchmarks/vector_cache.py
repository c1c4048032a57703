"""The local embedder's vectors, computed once and served again: for benchmark re-runs.

LongMemEval_S's 20,000 turns (about 1,000 characters each) take the local all-MiniLM-L6-v2
30-60 minutes on a shared 2-core machine; every re-run of the retrieval benchmark would
embed them again. `VectorCache` keeps each text's vector (by SHA-1 of the text) in an .npz
file; `CachedEmbeddingServer` serves them on an OpenAI-compatible `/v1/embeddings`, computing
any text it does not hold with the same local model, so that a server started with
EMBEDDING_PROVIDER=openai and EMBEDDING_BASE_URL pointing at it stores and searches exactly
the vectors the default local embedder gives (float32 round-trips through JSON exactly).
Retrieval figures are those of the default embedder; ingest rates and latencies are not
(say so with any figure taken this way).

    python -m benchmarks.vector_cache build CACHE.npz [--locomo PATH] [--longmemeval PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from benchmarks.locomo_retrieval import load_locomo
from benchmarks.longmemeval_retrieval import load_longmemeval

DIMENSION = 384
MODEL = "all-MiniLM-L6-v2"


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class VectorCache:
    """text -> vector of the local embedder; missing texts are embedded (and kept)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.vectors: dict[str, np.ndarray[Any, Any]] = {}
        self.model: MiniLMEmbedder | None = None
        self.lock = threading.Lock()
        if path is not None and path.exists():
            data = np.load(path)
            self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        with self.lock:
            missing = list(dict.fromkeys(t for t in texts if text_key(t) not in self.vectors))
            if missing:
                if self.model is None:
                    self.model = MiniLMEmbedder()
                for text, vector in zip(missing, self.model.embed_sync(missing), strict=True):
                    self.vectors[text_key(text)] = vector
            return np.stack([self.vectors[text_key(t)] for t in texts]).astype(np.float32)

    def save(self) -> None:
        assert self.path is not None
        keys = np.array(list(self.vectors))
        vectors = np.stack(list(self.vectors.values())) if self.vectors else np.zeros((0, 384))
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vectors.astype(np.float32))
        tmp.replace(self.path)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        texts = body.get("input") or []
        texts = [texts] if isinstance(texts, str) else texts
        vectors = self.server.cache.embed(texts)
        data = [
            {"object": "embedding", "index": i, "embedding": v.tolist()}
            for i, v in enumerate(vectors)
        ]
        reply = {"object": "list", "data": data, "model": MODEL,
                 "usage": {"prompt_tokens": 0, "total_tokens": 0}}  # fmt: skip
        raw = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, cache: VectorCache) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.cache = cache


@contextmanager
def cached_embedding_server(cache: VectorCache) -> Iterator[dict[str, str]]:
    """Serve the cache; yields the server settings that make `agent-memory api` use it."""
    server = _Server(cache)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "EMBEDDING_PROVIDER": "openai", "EMBEDDING_MODEL": MODEL,
            "EMBEDDING_DIMENSIONS": str(DIMENSION),
            "EMBEDDING_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1",
            "EMBEDDING_API_KEY": "local", "EMBEDDING_BATCH_SIZE": "256",
        }  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()


def dataset_texts(locomo: Path | None, longmemeval: Path | None) -> Iterable[list[str]]:
    """Batches of the texts the retrieval benchmarks embed (records and questions)."""
    if locomo is not None:
        convs = load_locomo(locomo)
        yield [t.text for c in convs for t in c.turns] + [
            q.question for c in convs for q in c.questions
        ]
    if longmemeval is not None:
        items = load_longmemeval(longmemeval)
        yield [i.question for i in items]
        for item in items:
            yield [t.text for t in item.turns]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the vector cache of the benchmark texts")
    parser.add_argument("command", choices=["build"])
    parser.add_argument("cache", type=Path)
    parser.add_argument("--locomo", type=Path, default=None)
    parser.add_argument("--longmemeval", type=Path, default=None)
    args = parser.parse_args(argv)
    cache = VectorCache(args.cache)
    start = time.perf_counter()
    for n, batch in enumerate(dataset_texts(args.locomo, args.longmemeval), 1):
        cache.embed(batch)
        cache.save()
        print(f"batch {n}: {len(cache.vectors)} vectors, {time.perf_counter() - start:.0f} s",
              file=sys.stderr, flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
