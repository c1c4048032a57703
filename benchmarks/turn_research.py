"""Issue 18, turn level: content-word coverage in the keyword leg and the assistant rule, offline.

Reads the candidate pools of benchmarks/recall_research.py (the server's own legs on both
development sets), gives each candidate the text and role the server reads
(LongTermStore.rank_reads: the stored text; metadata.role, which only LongMemEval's turns
carry), and scores the server's rank_hybrid over settings of HYBRID_COVERAGE_WEIGHT and
HYBRID_ASSISTANT_FACTOR, plus variants the server does not express (coverage without the
stemmer; sessions judged on the damped scores), with both benchmarks' metrics at once
(benchmarks/session_research.py's evaluate: LoCoMo categories 1-4, LongMemEval turn and
session R@5/R@10, temporal questions alone, the MRR of the first evidence turn). No label
reaches the ranking.

    python -m benchmarks.turn_research [--pools /tmp/recallturn/pools.pkl] [--only TEXT]

Confirm over REST with `benchmarks/locomo_retrieval.py --vectors CACHE.npz` and
`benchmarks/longmemeval_retrieval.py --vectors CACHE.npz` (HYBRID_* from the environment).
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from agent_memory_server.services import ranking
from agent_memory_server.services.ranking import Candidate, RankingParams, rank_hybrid
from agent_memory_server.storage.filters import _WORD as WORD
from agent_memory_server.storage.filters import query_terms
from benchmarks import locomo_retrieval as locomo
from benchmarks import longmemeval_retrieval as lme
from benchmarks import recall_research as rr
from benchmarks import session_research as sr


def texts_and_roles(locomo_path: Path, lme_path: Path) -> dict[str, tuple[str, str | None]]:
    """Record id -> (stored text, metadata.role) as the benchmarks write them."""
    out: dict[str, tuple[str, str | None]] = {}
    for conv in locomo.load_locomo(locomo_path):
        for t in conv.turns:
            out[locomo.memory_id(conv.sample_id, t.dia_id)] = (t.text, None)
    for item in lme.load_longmemeval(lme_path):
        for u in item.turns:
            out[u.memory_id] = (u.text, u.role)
    return out


def server(
    cands: list[Candidate], p: rr.Pool, params: RankingParams,
    reads: dict[str, tuple[str, str | None]],
) -> None:  # fmt: skip
    """The server's ranking, each candidate with the text, length and role it reads."""
    attach(cands, reads)
    rank_hybrid(cands, params, p.query, p.now or rr.NOW)


def attach(cands: list[Candidate], reads: dict[str, tuple[str, str | None]]) -> None:
    """The text, its length and the role, as the search legs return them to the server."""
    for c in cands:
        text, role = reads[c.id]
        c.text, c.role, c.length = text, role, len(text.encode())


def unstemmed(
    cands: list[Candidate], p: rr.Pool, params: RankingParams,
    reads: dict[str, tuple[str, str | None]],
) -> None:  # fmt: skip
    """The server's ranking with coverage over exact words (no stemmer): the coverage is set
    here and the text withheld, so rank_hybrid keeps it."""
    terms = set(query_terms(p.query))
    for c in cands:
        text, role = reads[c.id]
        words = {m.group(0).strip("'-") for m in WORD.finditer(text.lower())}
        c.coverage = len(terms & words) / len(terms) if terms else None
        c.text, c.role, c.length = None, role, len(text.encode())
    rank_hybrid(cands, params, p.query, p.now or rr.NOW)


def damped_sessions(
    cands: list[Candidate], p: rr.Pool, params: RankingParams,
    reads: dict[str, tuple[str, str | None]],
) -> None:  # fmt: skip
    """The assistant rule applied before sessions are judged (sessions from damped scores)."""
    attach(cands, reads)
    base = replace(params, assistant_factor=1.0, session_weight=0.0, date_weight=0.0)
    rank_hybrid(cands, base, p.query, p.now or rr.NOW)
    ranking.damp_assistant(cands, p.query, params.assistant_factor)
    ranking.promote_sessions(cands, params.session_weight, params.session_turns)
    ranking.promote_dates(cands, p.query, p.now or rr.NOW, params.date_weight)


Ranker = Callable[
    [list[Candidate], rr.Pool, RankingParams, dict[str, tuple[str, str | None]]], None
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pools", type=Path, default=Path("/tmp/recallturn/pools.pkl"))
    parser.add_argument("--locomo", type=Path, default=locomo.DEFAULT_DATASET.resolve())
    parser.add_argument("--longmemeval", type=Path, default=lme.DEFAULT_DATASET.resolve())
    parser.add_argument("--only", default="", help="variants whose label contains this")
    args = parser.parse_args(argv)
    pools: list[rr.Pool] = pickle.loads(args.pools.read_bytes())
    reads = texts_and_roles(args.locomo, args.longmemeval)
    print(f"{sum(p.dataset == 'lme' for p in pools)} LongMemEval questions", file=sys.stderr)
    print("| ranking | " + " | ".join(sr.HEAD) + " |\n|---" + "|---" * len(sr.HEAD) + "|")
    base = rr.NOW_
    variants: dict[str, tuple[Ranker, RankingParams]] = {"rules off (main)": (server, base)}
    for cw in (0.25, 0.5, 0.75):
        variants[f"coverage {cw}"] = (server, replace(base, coverage_weight=cw))
        variants[f"coverage {cw}, question words kept"] = (
            server, replace(base, coverage_weight=cw, coverage_skips_question=False))  # fmt: skip
        variants[f"coverage {cw}, no stemmer"] = (unstemmed, replace(base, coverage_weight=cw))
    for af in (0.5, 0.6, 0.7, 0.8, 0.9):
        variants[f"assistant {af}"] = (server, replace(base, assistant_factor=af))
        variants[f"assistant {af}, sessions damped"] = (
            damped_sessions, replace(base, assistant_factor=af))  # fmt: skip
    for cw in (0.25, 0.5, 0.75):
        q = replace(base, coverage_weight=cw, coverage_skips_question=False)
        for af in (0.6, 0.7, 0.8):
            variants[f"coverage {cw}, question words kept + assistant {af}"] = (
                server, replace(q, assistant_factor=af))  # fmt: skip
    for cw in (0.25, 0.5, 0.75):
        for af in (0.6, 0.7, 0.8):
            both = replace(base, coverage_weight=cw, assistant_factor=af)
            variants[f"coverage {cw} + assistant {af}"] = (server, both)
            for alpha in (0.5, 0.7):
                variants[f"coverage {cw} + assistant {af}, alpha {alpha}"] = (
                    server, replace(both, alpha=alpha))  # fmt: skip
            variants[f"coverage {cw} + assistant {af}, long turn 4"] = (
                server, replace(both, long_turn_factor=4.0))  # fmt: skip
    chosen = replace(base, coverage_weight=0.5, assistant_factor=0.6)
    variants["chosen: coverage 0.5 + assistant 0.6"] = (server, chosen)
    for alpha in (0.45, 0.5, 0.55, 0.65):
        variants[f"chosen, alpha {alpha}"] = (server, replace(chosen, alpha=alpha))
    for sw in (0.2, 0.4):
        variants[f"chosen, sessions {sw}"] = (server, replace(chosen, session_weight=sw))
    variants["chosen, keyword gap off"] = (server, replace(chosen, keyword_gap_full=0.0))
    for label, (ranker, params) in variants.items():
        if args.only not in label:
            continue
        m = sr.evaluate(
            pools, lambda c, p, ranker=ranker, params=params: ranker(c, p, params, reads)
        )
        print(sr.line(label, m), flush=True)
    return 0


if __name__ == "__main__":  # the pickled Pool is benchmarks.recall_research's
    from benchmarks.turn_research import main as imported_main

    sys.exit(imported_main())
