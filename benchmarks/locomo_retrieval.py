"""LoCoMo retrieval benchmark against a running agent-memory-server, over HTTP.

Protocol: ../shared/data/locomo/README.md. Every dialog turn becomes one long-term memory
(namespace per conversation and run; its session as session_id, the session date as
created_at and event_date), each question is searched inside its conversation's
namespace (limit 20, no recency boost) and scored against its evidence turns: Recall@k,
Hit@k and session-Hit@k for k = 1, 5, 10, 20, per category (1-5 and 1-4 together), plus
search latency (sequential and concurrent) and ingest throughput. Needs no LLM.

    agent-memory api --port 8000 &
    python benchmarks/locomo_retrieval.py [DATASET] [--base-url URL] [--json out.json]
        [--modes semantic,keyword,hybrid] [--concurrency 8] [--batch-size 100] [--keep]
    python -m benchmarks.locomo_retrieval --vectors CACHE.npz [...]

`--vectors`: start a server (embedded Redis, no worker) whose embedder serves the local
model's vectors from that cache (benchmarks/vector_cache.py), ignoring --base-url: the
retrieval figures are the default embedder's, the ingest rate and latencies are not.

The records are deleted at the end unless --keep is given. Exit code 1 on any HTTP error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

DEFAULT_DATASET = Path(__file__).resolve().parents[1] / ".." / "shared/data/locomo/locomo_dev3.json"
KS = (1, 5, 10, 20)
METRICS = ("recall", "hit", "session_hit")
SEARCH_LIMIT = 20
_EVIDENCE_RE = re.compile(r"D\s*:?\s*(\d+)\s*:\s*(\d+)", re.IGNORECASE)
_DATE_RE = re.compile(
    r"(\d{1,2}):(\d{2})\s*([ap])\.?m\.?\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})", re.IGNORECASE
)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}


# --- pure functions (unit-tested in tests/unit/test_locomo_metrics.py) ---------------------
def parse_session_datetime(value: str) -> datetime:
    """'1:56 pm on 8 May, 2023' -> 2023-05-08T13:56:00+00:00 (dates are taken as UTC)."""
    match = _DATE_RE.search(value)
    if match is None:
        raise ValueError(f"unrecognised LoCoMo session date: {value!r}")
    hour, minute, ampm, day, month_name, year = match.groups()
    month = _MONTHS.get(month_name[:3].lower())
    if month is None:
        raise ValueError(f"unknown month in {value!r}")
    hour24 = int(hour) % 12 + (12 if ampm.lower() == "p" else 0)
    return datetime(int(year), month, int(day), hour24, int(minute), tzinfo=UTC)


def normalize_evidence(raw: object, valid_ids: Iterable[str] | None = None) -> list[str]:
    """Canonical 'D<session>:<turn>' ids from a LoCoMo evidence field, in order, unique.

    Handles "D:11:26" -> "D11:26", "D30:05" -> "D30:5", several ids in one string
    ("D8:6; D9:17"), None/empty. With ``valid_ids``, ids not among them are dropped.
    """
    items: list[object] = list(raw) if isinstance(raw, list | tuple) else [raw]
    valid = set(valid_ids) if valid_ids is not None else None
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        for session, turn in _EVIDENCE_RE.findall(item):
            dia_id = f"D{int(session)}:{int(turn)}"
            if dia_id not in out and (valid is None or dia_id in valid):
                out.append(dia_id)
    return out


def session_of(dia_id: str) -> int:
    """Session number of a canonical dialog id ('D12:3' -> 12)."""
    return int(dia_id[1:].split(":", 1)[0])


def turn_text(speaker: str, text: str, blip_caption: str | None = None) -> str:
    """The memory text of one turn: '{speaker}: {text}' (+ ' [shares {caption}]')."""
    body = f"{speaker}: {text}"
    return f"{body} [shares {blip_caption}]" if blip_caption else body


def question_metrics(
    ranked: Sequence[str], evidence: Sequence[str], ks: Sequence[int] = KS
) -> dict[str, float]:
    """Recall@k, Hit@k and session-Hit@k (0..1) of one ranked list of dialog ids."""
    wanted = set(evidence)
    if not wanted:
        raise ValueError("a question needs at least one evidence id")
    sessions = {session_of(e) for e in wanted}
    out: dict[str, float] = {}
    for k in ks:
        top = list(ranked[:k])
        found = wanted.intersection(top)
        out[f"recall@{k}"] = len(found) / len(wanted)
        out[f"hit@{k}"] = 1.0 if found else 0.0
        out[f"session_hit@{k}"] = 1.0 if any(session_of(d) in sessions for d in top) else 0.0
    return out


def aggregate(rows: Iterable[tuple[int, Mapping[str, float]]]) -> dict[str, dict[str, float]]:
    """Mean metrics (in percent) per category id and for categories 1-4 ('1-4'); adds 'n'."""
    groups: dict[str, list[Mapping[str, float]]] = defaultdict(list)
    for category, metrics in rows:
        groups[str(category)].append(metrics)
        if 1 <= category <= 4:
            groups["1-4"].append(metrics)
    out: dict[str, dict[str, float]] = {}
    for name in sorted(groups, key=lambda g: (g == "1-4", g)):
        items = groups[name]
        means = {key: 100 * sum(m[key] for m in items) / len(items) for key in items[0]}
        out[name] = {"n": float(len(items)), **means}
    return out


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100) of a non-empty sequence."""
    if not values:
        raise ValueError("percentile of an empty sequence")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# --- dataset -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Turn:
    dia_id: str
    session: int
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Question:
    sample_id: str
    question: str
    category: int
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Conversation:
    sample_id: str
    turns: tuple[Turn, ...]
    questions: tuple[Question, ...]
    dropped: int  # questions without valid evidence


def parse_conversation(sample: Mapping[str, Any]) -> Conversation:
    conv: Mapping[str, Any] = sample["conversation"]
    turns: list[Turn] = []
    for key, value in conv.items():
        match = re.fullmatch(r"session_(\d+)", key)
        if match is None or not isinstance(value, list):
            continue
        session = int(match.group(1))
        created = parse_session_datetime(conv[f"{key}_date_time"])
        for raw in value:
            dia_ids = normalize_evidence(raw["dia_id"])
            text = turn_text(raw["speaker"], raw["text"], raw.get("blip_caption"))
            turns.append(Turn(dia_ids[0], session, text, created))
    valid = {t.dia_id for t in turns}
    questions: list[Question] = []
    for qa in sample["qa"]:
        evidence = normalize_evidence(qa.get("evidence"), valid)
        if evidence:
            questions.append(
                Question(sample["sample_id"], qa["question"], int(qa["category"]), tuple(evidence))
            )
    dropped = len(sample["qa"]) - len(questions)
    return Conversation(sample["sample_id"], tuple(turns), tuple(questions), dropped)


def load_locomo(path: Path) -> list[Conversation]:
    return [parse_conversation(s) for s in json.loads(path.read_text())]


# --- HTTP ----------------------------------------------------------------------------------
class BenchmarkError(RuntimeError):
    pass


async def call(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Any:
    try:
        response = await client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        raise BenchmarkError(f"{method} {url}: {exc!r}") from exc
    if response.status_code >= 400:
        raise BenchmarkError(f"{method} {url} -> {response.status_code}: {response.text[:500]}")
    return response.json()


def memory_id(sample_id: str, dia_id: str) -> str:
    return f"{sample_id}-{dia_id}"


def record_body(sample_id: str, turn: Turn, namespace: str) -> dict[str, Any]:
    """One turn as a long-term memory: its session (id and date as event_date), dia_id."""
    return {
        "id": memory_id(sample_id, turn.dia_id),
        "text": turn.text,
        "namespace": namespace,
        "session_id": f"{sample_id}-S{turn.session}",
        "memory_type": "episodic",
        "created_at": turn.created_at.isoformat(),
        "event_date": turn.created_at.isoformat(),
        "metadata": {"dia_id": turn.dia_id, "session": turn.session},
    }


async def ingest(
    client: httpx.AsyncClient, convs: Sequence[Conversation], ns: Mapping[str, str], batch: int
) -> None:
    for conv in convs:
        records = [record_body(conv.sample_id, t, ns[conv.sample_id]) for t in conv.turns]
        for start in range(0, len(records), batch):
            body = {"memories": records[start : start + batch], "deduplicate": False}
            await call(client, "POST", "/v1/long-term-memory/", json=body)


async def wait_searchable(
    client: httpx.AsyncClient, expected: Mapping[str, int], limit_s: float = 120.0
) -> None:
    deadline = time.monotonic() + limit_s
    pending = dict(expected)
    while pending:
        for namespace, count in list(pending.items()):
            body = {"text": "", "namespace": {"eq": namespace}, "limit": 1}
            result = await call(client, "POST", "/v1/long-term-memory/search", json=body)
            if int(result["total"]) >= count:
                del pending[namespace]
        if pending and time.monotonic() > deadline:
            raise BenchmarkError(f"records not searchable after {limit_s}s: {pending}")
        if pending:
            await asyncio.sleep(0.05)


async def search(
    client: httpx.AsyncClient, question: str, namespace: str, mode: str
) -> tuple[list[str], float]:
    body = {
        "text": question,
        "namespace": {"eq": namespace},
        "limit": SEARCH_LIMIT,
        "search_mode": mode,
        "recency_boost": False,
    }
    start = time.perf_counter()
    result = await call(client, "POST", "/v1/long-term-memory/search", json=body)
    elapsed = time.perf_counter() - start
    ids = [str((m.get("metadata") or {}).get("dia_id", "")) for m in result["memories"]]
    return [d for d in ids if d], elapsed


async def run_mode(
    client: httpx.AsyncClient,
    questions: Sequence[Question],
    ns: Mapping[str, str],
    mode: str,
    concurrency: int,
) -> dict[str, Any]:
    rows: list[tuple[int, dict[str, float]]] = []
    sequential: list[float] = []
    for q in questions:
        ranked, elapsed = await search(client, q.question, ns[q.sample_id], mode)
        sequential.append(elapsed)
        rows.append((q.category, question_metrics(ranked, q.evidence)))
    gate = asyncio.Semaphore(concurrency)

    async def timed(q: Question) -> float:
        async with gate:
            return (await search(client, q.question, ns[q.sample_id], mode))[1]

    start = time.perf_counter()
    concurrent = await asyncio.gather(*(timed(q) for q in questions))
    wall = time.perf_counter() - start
    latency = {f"seq_p{p}": 1000 * percentile(sequential, p) for p in (50, 95, 99)}
    latency |= {f"c{concurrency}_p{p}": 1000 * percentile(concurrent, p) for p in (50, 95, 99)}
    latency[f"c{concurrency}_qps"] = len(questions) / wall
    return {"metrics": aggregate(rows), "latency_ms": latency}


async def delete_all(client: httpx.AsyncClient, convs: Sequence[Conversation]) -> None:
    ids = [memory_id(c.sample_id, t.dia_id) for c in convs for t in c.turns]
    for start in range(0, len(ids), 100):
        params = [("memory_ids", i) for i in ids[start : start + 100]]
        await call(client, "DELETE", "/v1/long-term-memory", params=params)


# --- report --------------------------------------------------------------------------------
def metric_table(metrics: Mapping[str, Mapping[str, float]]) -> str:
    cols = [f"{m}@{k}" for m in METRICS for k in KS]
    short = {"recall": "R", "hit": "H", "session_hit": "sH"}
    head = ["cat", "n"] + [f"{short[c.split('@')[0]]}@{c.split('@')[1]}" for c in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cat, row in metrics.items():
        cells = [cat, str(int(row["n"]))] + [f"{row[c]:.1f}" for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(report: Mapping[str, Any]) -> str:
    ing = report["ingest"]
    out = [
        f"# LoCoMo retrieval ({report['dataset']}, run {report['run_id']})",
        f"Ingest: {ing['records']} records in {ing['seconds']:.2f} s = "
        f"{ing['records_per_s']:.0f} records/s; all searchable "
        f"{ing['searchable_after_s']:.2f} s after the last batch returned.",
    ]
    for mode, res in report["modes"].items():
        out += ["", f"## {mode}", metric_table(res["metrics"])]
    out += ["", "## Search latency (ms)"]
    keys = list(next(iter(report["modes"].values()))["latency_ms"])
    out.append("| mode | " + " | ".join(keys) + " |")
    out.append("|" + "---|" * (len(keys) + 1))
    for mode, res in report["modes"].items():
        vals = " | ".join(f"{res['latency_ms'][k]:.1f}" for k in keys)
        out.append(f"| {mode} | {vals} |")
    return "\n".join(out)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    convs = load_locomo(args.dataset)
    run_id = args.run_id or uuid.uuid4().hex[:8]
    ns = {c.sample_id: f"locomo-{c.sample_id}-{run_id}" for c in convs}
    questions = [q for c in convs for q in c.questions]
    n_records = sum(len(c.turns) for c in convs)
    report: dict[str, Any] = {"dataset": str(args.dataset), "run_id": run_id, "modes": {}}
    timeout = httpx.Timeout(120.0)
    limits = httpx.Limits(max_connections=max(args.concurrency, 1) + 2)
    async with httpx.AsyncClient(base_url=args.base_url, timeout=timeout, limits=limits) as client:
        start = time.perf_counter()
        await ingest(client, convs, ns, args.batch_size)
        ingested = time.perf_counter()
        await wait_searchable(client, {ns[c.sample_id]: len(c.turns) for c in convs})
        report["ingest"] = {
            "records": n_records,
            "seconds": ingested - start,
            "records_per_s": n_records / (ingested - start),
            "searchable_after_s": time.perf_counter() - ingested,
        }
        report["questions"] = len(questions)
        report["dropped_questions"] = sum(c.dropped for c in convs)
        try:
            for mode in args.modes.split(","):
                result = await run_mode(client, questions, ns, mode.strip(), args.concurrency)
                report["modes"][mode.strip()] = result
        finally:
            if not args.keep:
                await delete_all(client, convs)
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET.resolve())
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--modes", default="semantic,keyword,hybrid")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--run-id", default=None, help="namespace suffix (default: random)")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--keep", action="store_true", help="do not delete the records")
    parser.add_argument(
        "--vectors", type=Path, default=None,
        help="start a server on the local embedder's vectors from this cache "
        "(benchmarks/vector_cache.py) instead of using --base-url",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.vectors is not None:
            from benchmarks import vector_cache  # noqa: PLC0415 - it imports this module
            from benchmarks.harness import running_server  # noqa: PLC0415

            cache = vector_cache.VectorCache(args.vectors)
            with (
                vector_cache.cached_embedding_server(cache) as embedder,
                running_server(TRACK_ACCESS="false", EMBEDDED_WORKER="false", **embedder) as srv,
            ):
                args.base_url = srv.url
                report = asyncio.run(run(args))
        else:
            report = asyncio.run(run(args))
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(render(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
