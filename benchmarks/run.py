"""`make bench`: start the server as a user would, then measure retrieval quality and speed.

The API runs without its embedded worker (EMBEDDED_WORKER=false), so that the background
pipeline (topics and entities of the records just loaded) does not compete with the requests
being timed: in production that work runs in `agent-memory task-worker` processes.

1. LoCoMo retrieval (benchmarks/locomo_retrieval.py) on ../shared/data/locomo/locomo_dev3.json:
   Recall/Hit/session-Hit@k per category and mode, search latency, ingest throughput.
   Then LongMemEval_S retrieval (benchmarks/longmemeval_retrieval.py) on
   ../shared/data/longmemeval/longmemeval_s_dev40.json: session/turn R@5/@10 and NDCG@10 per
   question type and mode (its 20,000 long turns take the local embedder 30-60 minutes on
   2 cores; `--lme-questions N` runs the first N, `--skip-lme` none).
2. Search latency over HTTP against its floor (benchmarks/search_overhead.py).
3. The local embedder's own throughput (benchmarks/embedder_throughput.py).
4. On a fresh server with default settings: ingest throughput beside the embedder and raw
   Redis, then every API operation at concurrency 1, 8 and 32 beside its physical floor
   (benchmarks/ingest.py, benchmarks/api_load.py).

    uv run python -m benchmarks.run [--dataset PATH] [--records 20000] [--json results.json]
        [--load-records 3000] [--load-scale 1.0] [--lme-questions N] [--skip-lme]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path

from benchmarks import api_load, locomo_retrieval, longmemeval_retrieval, search_overhead
from benchmarks.harness import running_server

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=locomo_retrieval.DEFAULT_DATASET.resolve())
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--load-records", type=int, default=3000)
    parser.add_argument("--load-scale", type=float, default=1.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--lme-questions", type=int, default=0, help="0: all")
    parser.add_argument("--skip-lme", action="store_true")
    args = parser.parse_args()
    results: dict[str, object] = {}
    with running_server(TRACK_ACCESS="false", EMBEDDED_WORKER="false") as server:
        print("## LoCoMo retrieval\n", flush=True)
        locomo = locomo_retrieval.build_parser().parse_args(
            [str(args.dataset), "--base-url", server.url]
        )
        report = asyncio.run(locomo_retrieval.run(locomo))
        print(locomo_retrieval.render(report), flush=True)
        results["locomo"] = report
        if not args.skip_lme:
            print("\n## LongMemEval_S retrieval\n", flush=True)
            lme = longmemeval_retrieval.build_parser().parse_args(
                ["--limit-questions", str(args.lme_questions)]
            )
            reset = longmemeval_retrieval.index_reset(lme, server)
            lme_report = asyncio.run(longmemeval_retrieval.run(lme, server.url, reset=reset))
            print(longmemeval_retrieval.render(lme_report), flush=True)
            results["longmemeval"] = lme_report
        print("\n## Search latency against its floor\n", flush=True)
        table = asyncio.run(search_overhead.measure(server, args.records, 100, args.queries))
        print(table, flush=True)
        results["search_overhead"] = table
    print("\n## Local embedder\n", flush=True)
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "embedder_throughput.py")], check=True
    )
    print("\n## Ingest and API load against their floors\n", flush=True)
    with running_server(EMBEDDED_WORKER="false") as server:
        results.update(api_load.run(server, args.load_records, scale=args.load_scale))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
