"""Which ranking holds on both LoCoMo and LongMemEval? Offline sweeps over the server's own legs.

Loads every record of both development sets into an embedded Redis through the server's
store (LongTermStore.upsert, the vectors of the local embedder from benchmarks/vector_cache),
runs each question's semantic and keyword legs with the server's own calls (knn_with_total,
keyword; DEPTH candidates each) and keeps the candidate pools (ids, distances, BM25 scores,
ranks, sessions, dates) in a pickle. The ranking rules of services/ranking.py are then applied
offline to the pools, over a grid of parameters, and scored with both benchmarks' metrics at
once: LoCoMo Hit@10 / Recall@10 / session-Hit@10 (categories 1-4) and LongMemEval session
R@5, turn R@5 / R@10 (all, and temporal-reasoning on its own). No label reaches the ranking.

    python -m benchmarks.recall_research [--pools /tmp/pools.pkl] [--vectors CACHE.npz]

Confirm a chosen point through the REST API with benchmarks/locomo_retrieval.py and
benchmarks/longmemeval_retrieval.py.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import pickle
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from redisvl.query.filter import Tag

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.services.ranking import Candidate, RankingParams, rank_hybrid
from agent_memory_server.storage.connection import connect, exact_union_scores
from agent_memory_server.storage.embedded import EmbeddedRedis
from agent_memory_server.storage.filters import query_terms
from agent_memory_server.storage.keys import Keys
from agent_memory_server.storage.long_term import LongTermStore
from agent_memory_server.storage.schema import VectorIndexParams
from benchmarks import locomo_retrieval as locomo
from benchmarks import longmemeval_retrieval as lme
from benchmarks.vector_cache import VectorCache, text_key

DEPTH = 100
NOW = 1_796_000_000.0  # late 2026: LoCoMo questions carry no date; the server would use its own


@dataclass
class Pool:
    """One question: its candidates (both legs, DEPTH deep) and how to score a ranking."""

    dataset: str  # "locomo" | "lme"
    group: str  # LoCoMo category or LongMemEval question type (for reports only)
    now: float | None
    query: str
    candidates: list[Candidate]
    evidence: set[str]  # evidence record ids
    sessions: dict[str, str] = field(default_factory=dict)  # record id -> session
    answer_sessions: set[str] = field(default_factory=set)


async def _load(store: LongTermStore, rows: list[tuple[MemoryRecord, Any]]) -> None:
    for start in range(0, len(rows), 500):
        await store.upsert(rows[start : start + 500])


async def _legs(
    store: LongTermStore, cache: VectorCache, namespace: str, text: str
) -> list[Candidate]:
    where = Tag("namespace") == namespace
    vector = cache.embed([text])[0]
    knn, _ = await store.knn_with_total(vector, where, DEPTH)
    kw, _ = await store.keyword(query_terms(text), where, DEPTH)
    pool: dict[str, Candidate] = {}
    for r, h in enumerate(knn, 1):
        pool[h.id] = Candidate(h.id, h.created_at, h.last_accessed, h.importance,
                               distance=h.distance, semantic_rank=r, session=h.session,
                               event_at=h.event_at)  # fmt: skip
    for r, h in enumerate(kw, 1):
        c = pool.setdefault(h.id, Candidate(h.id, h.created_at, h.last_accessed, h.importance,
                                            session=h.session, event_at=h.event_at))  # fmt: skip
        c.keyword, c.keyword_rank = h.keyword_score, r
    missing = [c for c in pool.values() if c.distance is None]
    for c, row in zip(missing, await store.get_vectors([c.id for c in missing]), strict=True):
        c.distance = float(1.0 - row @ vector) if row is not None else None
    return list(pool.values())


def plain_text(turns: Sequence[Any], i: int) -> str:
    """What is embedded for turn i of a conversation (as the server does: its text)."""
    return str(turns[i].text)


async def collect(
    vectors: Path, locomo_path: Path, lme_path: Path, partial: bool = False,
    record_text: Callable[[Sequence[Any], int], str] = plain_text, skip_lme: bool = False,
    have: Sequence[Pool] = (),
) -> list[Pool]:  # fmt: skip
    """Pools of both sets (those in `have` are kept, not collected again)."""
    cache = VectorCache(vectors)
    pools: list[Pool] = list(have)
    done = {(p.dataset, p.query) for p in have}
    with tempfile.TemporaryDirectory(prefix="recall-research-") as tmp:
        server = EmbeddedRedis(Path(tmp))
        redis = connect(server.start())
        try:
            await exact_union_scores(redis)  # as the server does at start-up
            store = LongTermStore(redis, Keys("research"), VectorIndexParams(384))
            await store.create_index()
            for conv in locomo.load_locomo(locomo_path):
                if ("locomo", conv.questions[0].question) in done:
                    continue
                ns = f"locomo-{conv.sample_id}"
                texts = [record_text(conv.turns, i) for i in range(len(conv.turns))]
                rows = [
                    (MemoryRecord(**locomo.record_body(conv.sample_id, t, ns)), v)
                    for t, v in zip(conv.turns, cache.embed(texts), strict=True)
                ]
                await _load(store, rows)
                for q in conv.questions:
                    cands = await _legs(store, cache, ns, q.question)
                    ev = {locomo.memory_id(conv.sample_id, d) for d in q.evidence}
                    ans = {f"{conv.sample_id}-S{locomo.session_of(d)}" for d in q.evidence}
                    sess = {c.id: c.session or "" for c in cands}
                    pools.append(
                        Pool("locomo", str(q.category), None, q.question, cands, ev, sess, ans)
                    )
            for item in [] if skip_lme else lme.load_longmemeval(lme_path):
                texts = [record_text(item.turns, i) for i in range(len(item.turns))]
                if ("lme", item.question) in done:
                    continue
                if partial and not all(text_key(t) in cache.vectors for t in texts):
                    continue  # not embedded yet
                ns = f"lme-{item.question_id}"
                vecs = cache.embed(texts)
                rows = [(MemoryRecord(**lme.record_body(t, ns)), v)
                        for t, v in zip(item.turns, vecs, strict=True)]  # fmt: skip
                await _load(store, rows)
                cands = await _legs(store, cache, ns, item.question)
                by_id = {t.memory_id: t for t in item.turns}
                ev = {t.memory_id for t in item.turns if t.evidence}
                sess = {c.id: str(by_id[c.id].session) for c in cands}
                ans = {str(s) for s in item.answer_sessions}
                now = item.now.timestamp()
                pools.append(Pool("lme", item.question_type, now, item.question, cands, ev, sess,
                                  ans))  # fmt: skip
                await redis.execute_command("FLUSHDB")  # bounded memory, as the protocol
                await store.create_index()
        finally:
            await redis.aclose()
            server.stop()
    return pools


# --- offline scoring -------------------------------------------------------------------------
def _copy(cands: Sequence[Candidate]) -> list[Candidate]:
    return [replace(c) for c in cands]


def evaluate(pools: Sequence[Pool], params: RankingParams, n: int = 50) -> dict[str, float]:
    """Both benchmarks' headline metrics (percent) for one parameter set."""
    out: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        out.setdefault(key, []).append(value)

    for p in pools:
        pool = [c for c in _copy(p.candidates)
                if (c.semantic_rank or 10**9) <= n or (c.keyword_rank or 10**9) <= n]  # fmt: skip
        for c in pool:  # the legs as the server cuts them to n
            if (c.semantic_rank or 10**9) > n:
                c.semantic_rank = None
            if (c.keyword_rank or 10**9) > n:
                c.keyword_rank, c.keyword = None, None
        rank_hybrid(pool, params, p.query, p.now or NOW)
        ranked = [c.id for c in sorted(pool, key=lambda c: (-c.score, c.id))]
        if p.dataset == "locomo":
            if p.group in ("1", "2", "3", "4"):
                top = ranked[:10]
                found = p.evidence.intersection(top)
                add("L H@10", float(bool(found)))
                add("L R@10", len(found) / len(p.evidence))
                add("L sH@10", float(any(p.sessions.get(i) in p.answer_sessions for i in top)))
                add(f"L{p.group} H@10", float(bool(found)))
        else:
            for k in (5, 10):
                top = ranked[:k]
                s_hit = float(any(p.sessions.get(i) in p.answer_sessions for i in top))
                t_hit = float(bool(p.evidence.intersection(top)))
                add(f"M sR@{k}", s_hit)
                add(f"M tR@{k}", t_hit)
                if p.group == lme.TEMPORAL:
                    add(f"M temporal tR@{k}", t_hit)
                    add(f"M temporal sR@{k}", s_hit)
    return {k: 100 * statistics.fmean(v) for k, v in out.items()}


HEAD = (
    "L H@10",
    "L R@10",
    "L sH@10",
    "M sR@5",
    "M tR@5",
    "M tR@10",
    "M temporal tR@5",
    "M temporal sR@5",
)


def line(label: str, m: dict[str, float]) -> str:
    return f"| {label} | " + " | ".join(f"{m.get(h, 0):.1f}" for h in HEAD) + " |"


def sweep(
    pools: Sequence[Pool], base: RankingParams, grid: dict[str, Sequence[Any]],
    key: Callable[[dict[str, float]], float],
) -> list[tuple[RankingParams, dict[str, float]]]:  # fmt: skip
    rows = []
    for values in itertools.product(*grid.values()):
        params = replace(base, **dict(zip(grid, values, strict=True)))
        rows.append((params, evaluate(pools, params)))
    rows.sort(key=lambda r: -key(r[1]))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ranking research on LoCoMo + LongMemEval")
    parser.add_argument("--vectors", type=Path, default=Path("/tmp/recall/vectors.npz"))
    parser.add_argument("--pools", type=Path, default=Path("/tmp/recall/pools.pkl"))
    parser.add_argument("--locomo", type=Path, default=locomo.DEFAULT_DATASET.resolve())
    parser.add_argument("--longmemeval", type=Path, default=lme.DEFAULT_DATASET.resolve())
    parser.add_argument("--partial", action="store_true", help="only fully embedded questions")
    args = parser.parse_args(argv)
    pools: list[Pool] = pickle.loads(args.pools.read_bytes()) if args.pools.exists() else []
    if not pools or args.partial:  # --partial: add the questions embedded since
        pools = asyncio.run(
            collect(args.vectors, args.locomo, args.longmemeval, args.partial, have=pools)
        )
        args.pools.write_bytes(pickle.dumps(pools))
    print(f"{sum(p.dataset == 'lme' for p in pools)} LongMemEval questions", file=sys.stderr)
    print("| ranking | " + " | ".join(HEAD) + " |\n|---" + "|---" * len(HEAD) + "|")
    for label, params in REPORTED.items():
        print(line(label, evaluate(pools, params)))
    return 0


MINMAX = RankingParams(fusion="minmax", alpha=0.6)
BEFORE = replace(MINMAX, session_weight=0.3, date_weight=0.2)  # the defaults before this note
NOW_ = replace(BEFORE, keyword_gap_full=0.3, keyword_gap_turns=5)
REPORTED: dict[str, RankingParams] = {
    "rrf a=0.55 k=1 (first)": RankingParams(),
    "semantic leg": RankingParams(alpha=1.0),
    "keyword leg": RankingParams(alpha=0.0),
    "before: min-max 0.6 + sessions 0.3 + dates 0.2": BEFORE,
    "now: + keyword gap 0.3 @5": NOW_,
    "  keyword gap 0.2 @5": replace(NOW_, keyword_gap_full=0.2),
    "  keyword gap 0.5 @5": replace(NOW_, keyword_gap_full=0.5),
    "  keyword gap 0.3 @10": replace(NOW_, keyword_gap_turns=10),
    "  alpha 0.55": replace(NOW_, alpha=0.55),
    "  alpha 0.65": replace(NOW_, alpha=0.65),
    "  sessions 0.2": replace(NOW_, session_weight=0.2),
    "  sessions 0.4": replace(NOW_, session_weight=0.4),
    "  + semantic peak 0.1-0.25": replace(NOW_, semantic_peak_low=0.1, semantic_peak_high=0.25),
    "  + semantic peak 0.15-0.3": replace(NOW_, semantic_peak_low=0.15, semantic_peak_high=0.3),
}

if __name__ == "__main__":  # run the imported module's main: its Pool is the one that pickles
    from benchmarks.recall_research import main as imported_main

    sys.exit(imported_main())
