"""One search query's embedding with the local model, per query path, side by side.

Paths: `shared` is the write path's session (every core, behind its lock: what queries used
before QUERY_EMBEDDING_THREADS); `float32/N` and `int8/N` are query sessions
(providers/minilm_query.py) on N threads. Texts: the LoCoMo dev questions
(../shared/data/locomo), each embedded once per path; at c=1 the paths take turns text by text
(the order rotates), at c=8 rounds of 8 concurrent queries (8 threads) alternate between the
paths. Prints p50/p95/p99 per path and concurrency, and the cosine between each path's vectors
and the float model's (the write path's) over all questions.

    uv run python -m benchmarks.query_embedding [--paths shared float32/1 int8/1] [--limit N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from agent_memory_server.providers.minilm_query import QueryModel
from benchmarks.search_overhead import pct

LOCOMO = Path(__file__).resolve().parents[1] / ".." / "shared/data/locomo/locomo_dev3.json"


def questions(path: Path) -> list[str]:
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    seen: dict[str, None] = {}
    for sample in data:
        for qa in sample["qa"]:
            seen.setdefault(str(qa["question"]), None)
    return list(seen)


def _fmt(values: list[float]) -> str:
    return f"{pct(values, 50):.2f} / {pct(values, 95):.2f} / {pct(values, 99):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", nargs="+", default=["shared", "float32/1", "int8/1"])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--limit", type=int, default=None, help="questions (default: all)")
    parser.add_argument("--dataset", type=Path, default=LOCOMO)
    args = parser.parse_args()
    texts = questions(args.dataset)[: args.limit]
    with tempfile.TemporaryDirectory(prefix="ams-query-bench-") as cache:
        embedder = MiniLMEmbedder(cache_dir=Path(cache))
        paths: dict[str, Any] = {}
        for name in args.paths:
            if name == "shared":
                paths[name] = embedder.embed_sync
                continue
            precision, threads = name.split("/")
            started = time.perf_counter()
            model = QueryModel(embedder, precision, int(threads))  # type: ignore[arg-type]
            print(f"{name}: session ready in {time.perf_counter() - started:.1f} s "
                  f"(int8 copy built: {model.built})")  # fmt: skip
            paths[name] = model.embed_sync
        reference = embedder.embed_sync(texts)
        for name, embed in paths.items():
            cos = np.asarray([float(embed([t])[0] @ reference[i]) for i, t in enumerate(texts)])
            p5 = np.percentile(cos, 5)
            print(f"{name}: cosine to the float model over {len(texts)} questions: min "
                  f"{cos.min():.4f}, p5 {p5:.4f}, mean {cos.mean():.4f}")  # fmt: skip
        load = os.getloadavg()
        print(f"\n{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load[0]:.1f} "
              f"{load[1]:.1f} {load[2]:.1f}, {os.cpu_count()} cores; {len(texts)} distinct "
              "questions per path and concurrency\n")  # fmt: skip
        print("| path | c | p50 / p95 / p99 ms |")
        print("|---|---|---|")
        names = list(paths)
        for c in args.concurrency:
            timings: dict[str, list[float]] = {n: [] for n in names}

            def one(name: str, text: str) -> None:
                begin = time.perf_counter()
                paths[name]([text])
                timings[name].append((time.perf_counter() - begin) * 1000)  # noqa: B023

            with ThreadPoolExecutor(max_workers=c) as pool:
                for start in range(0, len(texts), c):
                    chunk = texts[start : start + c]
                    k = (start // c) % len(names)
                    for name in names[k:] + names[:k]:
                        list(pool.map(lambda t, n=name: one(n, t), chunk))  # type: ignore[misc]
            for name in names:
                print(f"| {name} | {c} | {_fmt(timings[name])} |", flush=True)
        load = os.getloadavg()
        print(f"\n(load average at end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})")


if __name__ == "__main__":
    main()
