"""LongMemEval_S retrieval benchmark against agent-memory-server, over HTTP.

Protocol: ../shared/data/longmemeval/README.md. For each question, a fresh namespace holds
one long-term memory per non-empty turn of its haystack (the turn's text, its session id,
its role in metadata, the session's date as `event_date` and `created_at`; no
deduplication); the question is searched in that namespace as a user would (no question
type, answer or evidence label reaches the server; `question_date` is sent as the asker's
`now`), then the namespace is deleted. When the script runs its own server, the long-term
index is then recreated (empty), as `agent-memory rebuild-index` does: RediSearch keeps
deleted documents in its BM25 term statistics until its lazy GC runs (forcing GC was not
enough), so each question would otherwise be scored against the earlier haystacks' words;
`--shared-index` keeps the one index (the only choice against --base-url). Scored strictly
on the records returned:

- session R@k: recall_any, a hit when any of the top k records comes from an answer session;
- turn R@k: a hit when any of the top k records is an evidence turn (`has_answer`);
- NDCG@10 over the distinct sessions of the top 10 records (answer sessions relevant);

per question type and overall, for each search mode; search latency p50/p95 (sequential)
and the ingest rate until searchable. Needs no LLM.

    python -m benchmarks.longmemeval_retrieval [DATASET] [--base-url URL] [--json out.json]
        [--modes semantic,keyword,hybrid] [--limit-questions N] [--no-now] [--shared-index]

Without --base-url it starts its own server (embedded Redis, no background worker).
Exit code 1 on any HTTP error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from agent_memory_server.cli.common import read_settings
from agent_memory_server.storage.connection import keys_for
from agent_memory_server.storage.long_term import LongTermStore
from agent_memory_server.storage.schema import VectorIndexParams
from benchmarks.harness import Server, running_server
from benchmarks.locomo_retrieval import BenchmarkError, call, percentile

DEFAULT_DATASET = (
    Path(__file__).resolve().parents[1] / ".." / "shared/data/longmemeval/longmemeval_s_dev40.json"
)
KS = (5, 10)
SEARCH_LIMIT = 10
TEMPORAL = "temporal-reasoning"


# --- pure functions (unit-tested in tests/unit/test_longmemeval_metrics.py) ---------------
def parse_lme_date(value: str) -> datetime:
    """'2023/05/30 (Tue) 23:40' -> 2023-05-30T23:40:00+00:00 (dates are taken as UTC)."""
    day, _, clock = value.partition(")")
    date_part = day.split("(")[0].strip()
    try:
        moment = datetime.strptime(f"{date_part} {clock.strip() or '00:00'}", "%Y/%m/%d %H:%M")
    except ValueError as exc:
        raise ValueError(f"unrecognised LongMemEval date: {value!r}") from exc
    return moment.replace(tzinfo=UTC)


def ndcg_at(sessions: Sequence[int], relevant: set[int], k: int = 10) -> float:
    """NDCG@k over the distinct sessions of a ranked list of records' sessions."""
    distinct = list(dict.fromkeys(sessions[:k]))
    dcg = sum(1.0 / math.log2(i + 2) for i, s in enumerate(distinct) if s in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def question_metrics(
    ranked: Sequence[tuple[int, bool]], relevant: set[int], ks: Sequence[int] = KS
) -> dict[str, float]:
    """Metrics (0..1) of one ranked list of (session position, is evidence turn) records."""
    out: dict[str, float] = {}
    for k in ks:
        top = ranked[:k]
        out[f"session_r@{k}"] = 1.0 if any(s in relevant for s, _ in top) else 0.0
        out[f"turn_r@{k}"] = 1.0 if any(evidence for _, evidence in top) else 0.0
    out["ndcg@10"] = ndcg_at([s for s, _ in ranked], relevant, 10)
    return out


def aggregate(rows: Iterable[tuple[str, Mapping[str, float]]]) -> dict[str, dict[str, float]]:
    """Mean metrics (percent) per question type and 'all'; adds 'n'."""
    groups: dict[str, list[Mapping[str, float]]] = defaultdict(list)
    for qtype, metrics in rows:
        groups[qtype].append(metrics)
        groups["all"].append(metrics)
    out: dict[str, dict[str, float]] = {}
    for name in sorted(groups, key=lambda g: (g == "all", g)):
        items = groups[name]
        means = {key: 100 * sum(m[key] for m in items) / len(items) for key in items[0]}
        out[name] = {"n": float(len(items)), **means}
    return out


# --- dataset -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Turn:
    memory_id: str
    session: int  # position in the haystack (a few haystacks repeat a session id)
    session_id: str
    role: str
    text: str
    date: datetime
    evidence: bool


@dataclass(frozen=True)
class Item:
    question_id: str
    question_type: str
    question: str
    now: datetime
    turns: tuple[Turn, ...]
    answer_sessions: frozenset[int]


def parse_item(raw: Mapping[str, Any]) -> Item:
    qid = str(raw["question_id"])
    answer_ids = set(raw["answer_session_ids"])
    turns: list[Turn] = []
    answer_sessions: set[int] = set()
    for pos, (sid, date, session) in enumerate(
        zip(raw["haystack_session_ids"], raw["haystack_dates"], raw["haystack_sessions"],
            strict=True)
    ):  # fmt: skip
        if sid in answer_ids:
            answer_sessions.add(pos)
        when = parse_lme_date(date)
        for i, turn in enumerate(session):
            text = str(turn.get("content") or "")
            if text.strip():
                turns.append(Turn(
                    f"lme-{qid}-{pos}-{i}", pos, str(sid), str(turn["role"]), text, when,
                    bool(turn.get("has_answer")),
                ))  # fmt: skip
    return Item(
        qid, str(raw["question_type"]), str(raw["question"]), parse_lme_date(raw["question_date"]),
        tuple(turns), frozenset(answer_sessions),
    )  # fmt: skip


def load_longmemeval(path: Path) -> list[Item]:
    return [parse_item(r) for r in json.loads(path.read_text())]


# --- HTTP ------------------------------------------------------------------------------------
def record_body(turn: Turn, namespace: str) -> dict[str, Any]:
    return {
        "id": turn.memory_id, "text": turn.text, "namespace": namespace,
        "session_id": turn.session_id, "memory_type": "episodic",
        "event_date": turn.date.isoformat(), "created_at": turn.date.isoformat(),
        "metadata": {"role": turn.role},
    }  # fmt: skip


async def ingest(client: httpx.AsyncClient, item: Item, namespace: str, batch: int) -> None:
    records = [record_body(t, namespace) for t in item.turns]
    for start in range(0, len(records), batch):
        body = {"memories": records[start : start + batch], "deduplicate": False}
        await call(client, "POST", "/v1/long-term-memory/", json=body)


async def search(
    client: httpx.AsyncClient, item: Item, namespace: str, mode: str, send_now: bool
) -> tuple[list[str], float]:
    body: dict[str, Any] = {
        "text": item.question, "namespace": {"eq": namespace}, "limit": SEARCH_LIMIT,
        "search_mode": mode, "recency_boost": False,
    }  # fmt: skip
    if send_now:
        body["now"] = item.now.isoformat()
    start = time.perf_counter()
    result = await call(client, "POST", "/v1/long-term-memory/search", json=body)
    return [str(m["id"]) for m in result["memories"]], time.perf_counter() - start


async def delete_namespace(client: httpx.AsyncClient, item: Item) -> None:
    ids = [t.memory_id for t in item.turns]
    for start in range(0, len(ids), 100):
        params = [("memory_ids", i) for i in ids[start : start + 100]]
        await call(client, "DELETE", "/v1/long-term-memory", params=params)


async def recreate_index(server: Server) -> None:
    """Drop the server's (emptied) long-term index and create it again, as rebuild-index
    does (services/index_admin.py): same dimension, HNSW settings from the same environment."""
    redis = Redis.from_url(server.redis_url)
    try:
        keys = keys_for(server.key_prefix, redis)
        settings = read_settings()
        probe = LongTermStore(redis, keys, VectorIndexParams(1))
        dimension = await probe.indexed_dimension()
        if dimension is None:
            raise BenchmarkError("the server has no long-term index to recreate")
        params = VectorIndexParams(
            dimension, settings.hnsw_m, settings.hnsw_ef_construction, settings.hnsw_ef_runtime
        )
        store = LongTermStore(redis, keys, params)
        await store.drop_index()
        await store.create_index()
        deadline = time.monotonic() + 300  # records of another benchmark are re-indexed
        while int((await store.index.info()).get("indexing", 0)) != 0:
            if time.monotonic() > deadline:
                raise BenchmarkError("the recreated index is still indexing after 300 s")
            await asyncio.sleep(0.05)
    finally:
        await redis.aclose()


def index_reset(args: argparse.Namespace, server: Server) -> Callable[[], Awaitable[None]] | None:
    return None if args.shared_index else lambda: recreate_index(server)


async def run(
    args: argparse.Namespace,
    base_url: str,
    keep: Callable[[Item], bool] = lambda item: True,
    reset: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    items = [i for i in load_longmemeval(args.dataset) if keep(i)][: args.limit_questions or None]
    modes = [m.strip() for m in args.modes.split(",")]
    run_id = args.run_id or uuid.uuid4().hex[:8]
    rows: dict[str, list[tuple[str, dict[str, float]]]] = {m: [] for m in modes}
    latency: dict[str, list[float]] = {m: [] for m in modes}
    per_question: list[dict[str, Any]] = []
    records, ingest_s = 0, 0.0
    timeout = httpx.Timeout(300.0)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client:
        for item in items:
            namespace = f"lme-{item.question_id}-{run_id}"
            by_id = {t.memory_id: t for t in item.turns}
            start = time.perf_counter()
            await ingest(client, item, namespace, args.batch_size)
            ingest_s += time.perf_counter() - start
            records += len(item.turns)
            row: dict[str, Any] = {"question_id": item.question_id, "type": item.question_type}
            try:
                for mode in modes:
                    ids, elapsed = await search(client, item, namespace, mode, not args.no_now)
                    latency[mode].append(elapsed)
                    ranked = [(by_id[i].session, by_id[i].evidence) for i in ids if i in by_id]
                    metrics = question_metrics(ranked, set(item.answer_sessions))
                    rows[mode].append((item.question_type, metrics))
                    row[mode] = metrics
            finally:
                await delete_namespace(client, item)
                if reset is not None:
                    await reset()
            per_question.append(row)
            if args.progress:
                print(f"{len(per_question)}/{len(items)} {item.question_id}", file=sys.stderr)
    return {
        "dataset": str(args.dataset), "run_id": run_id, "questions": len(items),
        "ingest": {"records": records, "seconds": ingest_s, "records_per_s": records / ingest_s},
        "modes": {
            m: {
                "metrics": aggregate(rows[m]),
                "latency_ms": {f"p{p}": 1000 * percentile(latency[m], p) for p in (50, 95, 99)},
            }
            for m in modes
        },
        "per_question": per_question,
    }  # fmt: skip


# --- report ----------------------------------------------------------------------------------
COLUMNS = ("session_r@5", "session_r@10", "turn_r@5", "turn_r@10", "ndcg@10")


def metric_table(metrics: Mapping[str, Mapping[str, float]]) -> str:
    head = ["type", "n", "sR@5", "sR@10", "tR@5", "tR@10", "NDCG@10"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for qtype, row in metrics.items():
        cells = [qtype, str(int(row["n"]))] + [f"{row[c]:.1f}" for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(report: Mapping[str, Any]) -> str:
    ing = report["ingest"]
    out = [
        f"# LongMemEval_S retrieval ({report['dataset']}, {report['questions']} questions, "
        f"run {report['run_id']})",
        f"Ingest (embedding included): {ing['records']} records in {ing['seconds']:.1f} s = "
        f"{ing['records_per_s']:.0f} records/s, each batch searchable when acknowledged.",
    ]
    for mode, res in report["modes"].items():
        out += ["", f"## {mode}", metric_table(res["metrics"])]
    out += [
        "",
        "## Search latency, sequential (ms)",
        "| mode | p50 | p95 | p99 |",
        "|---|---|---|---|",
    ]
    for mode, res in report["modes"].items():
        lat = res["latency_ms"]
        out.append(f"| {mode} | {lat['p50']:.1f} | {lat['p95']:.1f} | {lat['p99']:.1f} |")
    return "\n".join(out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET.resolve())
    parser.add_argument("--base-url", default=None, help="default: start a server")
    parser.add_argument("--modes", default="semantic,keyword,hybrid")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--limit-questions", type=int, default=0)
    parser.add_argument("--run-id", default=None, help="namespace suffix (default: random)")
    parser.add_argument("--no-now", action="store_true", help="do not send question_date")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument(
        "--shared-index", action="store_true",
        help="keep one index for every question (deleted haystacks stay in BM25 statistics "
        "until RediSearch's GC); the default recreates it after each question",
    )  # fmt: skip
    parser.add_argument(
        "--vectors", type=Path, default=None,
        help="serve the local embedder's vectors from this cache (benchmarks/vector_cache.py) "
        "and run only the questions it holds every turn of",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.vectors is not None:
            from benchmarks import vector_cache  # noqa: PLC0415 - it imports this module

            cache = vector_cache.VectorCache(args.vectors)

            def cached(item: Item) -> bool:
                return all(vector_cache.text_key(t.text) in cache.vectors for t in item.turns)

            with (
                vector_cache.cached_embedding_server(cache) as embedder,
                running_server(TRACK_ACCESS="false", EMBEDDED_WORKER="false", **embedder) as srv,
            ):
                report = asyncio.run(run(args, srv.url, cached, index_reset(args, srv)))
        elif args.base_url is None:
            with running_server(TRACK_ACCESS="false", EMBEDDED_WORKER="false") as server:
                report = asyncio.run(run(args, server.url, reset=index_reset(args, server)))
        else:
            report = asyncio.run(run(args, args.base_url))
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(render(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
