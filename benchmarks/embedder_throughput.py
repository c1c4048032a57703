"""Throughput of the local all-MiniLM-L6-v2 ONNX embedder.

Measures load time cold (graph built from the packaged weights into an empty cache
directory) and warm (graph read from that cache), then sentences/s for 1,000 short
sentences in batches of 32. Standalone::

    python benchmarks/embedder_throughput.py [--threads N] [--batch-size 32] [--n 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder

SUBJECTS = ["Alice", "Bob", "The user", "My manager", "The customer", "Our team", "Carol"]
VERBS = ["prefers", "moved to", "asked about", "is allergic to", "scheduled", "likes", "forgot"]
OBJECTS = [
    "dark mode",
    "Paris",
    "the quarterly report",
    "peanuts",
    "a meeting on Thursday at 3pm",
    "Rust and Python",
    "the new onboarding flow for mobile users",
    "vector search",
]


def short_sentences(n: int, seed: int = 0) -> list[str]:
    """n distinct short sentences (roughly 6-16 word pieces)."""
    rng = random.Random(seed)
    return [
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} (note {i})."
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of sentences")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best is reported")
    args = parser.parse_args()

    texts = short_sentences(args.n)
    with tempfile.TemporaryDirectory(prefix="minilm-bench-") as tmp:
        cache = Path(tmp)
        start = time.perf_counter()
        MiniLMEmbedder(cache_dir=cache, threads=args.threads, batch_size=args.batch_size)
        cold = time.perf_counter() - start

        start = time.perf_counter()
        embedder = MiniLMEmbedder(cache_dir=cache, threads=args.threads, batch_size=args.batch_size)
        warm = time.perf_counter() - start
        assert not embedder.graph_rebuilt

        embedder.embed_sync(texts[:64])  # warm-up
        rates = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            vectors = embedder.embed_sync(texts)
            rates.append(len(texts) / (time.perf_counter() - start))
        assert vectors.shape == (len(texts), embedder.dimension)

    print(f"model: {embedder.model_name} ({embedder.dimension}-d), threads={embedder.threads}")
    print(f"load cold (build graph): {cold:.2f} s")
    print(f"load warm (from cache):  {warm:.2f} s")
    print(
        f"throughput: {max(rates):.0f} sentences/s (best of {args.repeats}; "
        f"runs: {', '.join(f'{r:.0f}' for r in rates)}), "
        f"{len(texts)} short sentences, batch {args.batch_size}"
    )


if __name__ == "__main__":
    main()
