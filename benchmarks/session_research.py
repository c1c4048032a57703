"""Round 3 of issue 18: session-level evidence and a length-aware keyword leg, offline.

Reads the candidate pools of benchmarks/recall_research.py (the server's own legs on both
development sets) and scores ranking variants that the server's RankingParams do not (yet)
express, with both benchmarks' metrics at once:

- session strength from more than the session's best fused turn: the mean of its best k
  fused scores, its best semantic similarity plus the mean of its best k, or its best BM25;
- the keyword leg's BM25 scaled by (mean length / record length) ** g before fusion
  (BM25STD's own length normalisation is fixed at b = 0.75; LongMemEval's turns are long);

    python -m benchmarks.session_research [--pools /tmp/recall2/pools.pkl]
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from agent_memory_server.services.ranking import (
    Candidate,
    RankingParams,
    _normalise,
    damp_long_turns,
    fuse_minmax,
    keyword_confidence,
    promote_dates,
    rank_hybrid,
)
from benchmarks import locomo_retrieval as locomo
from benchmarks import longmemeval_retrieval as lme
from benchmarks import recall_research as rr
from benchmarks.vector_cache import VectorCache, text_key

Rule = Callable[[list[Candidate], "rr.Pool"], None]


def lengths(locomo_path: Path, lme_path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for conv in locomo.load_locomo(locomo_path):
        for t in conv.turns:
            out[locomo.memory_id(conv.sample_id, t.dia_id)] = len(t.text.encode())
    for item in lme.load_longmemeval(lme_path):
        for u in item.turns:
            out[u.memory_id] = len(u.text.encode())
    return out


def centroids(vectors: Path, locomo_path: Path, lme_path: Path) -> dict[str, Any]:
    """Per session id: the normalised mean of its turns' vectors (every turn, any speaker),
    and per question text its vector."""
    cache = VectorCache(vectors)
    groups: dict[str, list[str]] = {}
    questions: list[str] = []
    for conv in locomo.load_locomo(locomo_path):
        for t in conv.turns:
            groups.setdefault(f"{conv.sample_id}-S{t.session}", []).append(t.text)
        questions += [q.question for q in conv.questions]
    for item in lme.load_longmemeval(lme_path):
        if not all(text_key(u.text) in cache.vectors for u in item.turns):
            continue
        for u in item.turns:
            groups.setdefault(u.session_id, []).append(u.text)
        questions.append(item.question)
    out: dict[str, Any] = {}
    for sid, texts in groups.items():
        v = np.mean([cache.vectors[text_key(t)] for t in texts], axis=0)
        out[sid] = v / (np.linalg.norm(v) or 1.0)
    for q in questions:
        out["\x01" + q] = cache.vectors[text_key(q)]
    return out


def session_strengths(
    cands: Sequence[Candidate], fused_k: int, sem_w: float, sem_k: int, kw_w: float
) -> dict[str, float]:
    """Per session: mean of its best fused_k fused scores (+ sem_w * (best sim + mean of best
    sem_k sims), min-max over the candidates) (+ kw_w * best normalised BM25)."""
    sims = [1.0 - c.distance for c in cands if c.distance is not None]
    lo, hi = (min(sims), max(sims)) if sims else (0.0, 1.0)
    kws = [c.keyword for c in cands if c.keyword is not None]
    kw_hi = max(kws) if kws else 1.0
    groups: dict[str, list[Candidate]] = {}
    for c in cands:
        groups.setdefault(c.session or f"\x00{c.id}", []).append(c)
    out = {}
    for s, group in groups.items():
        fused = sorted((c.score for c in group), reverse=True)
        value = sum(fused[:fused_k]) / fused_k
        if sem_w:
            ss = sorted(
                (
                    (1.0 - c.distance - lo) / ((hi - lo) or 1.0)
                    for c in group
                    if c.distance is not None
                ),
                reverse=True,
            )
            if ss:
                value += sem_w * (ss[0] + sum(ss[:sem_k]) / sem_k) / 2
        if kw_w:
            value += kw_w * max((c.keyword or 0.0) / (kw_hi or 1.0) for c in group)
        out[s] = value
    return out


def rank(
    cands: list[Candidate], p: rr.Pool, params: RankingParams, lens: dict[str, int],
    length_g: float = 0.0, fused_k: int = 1, sem_w: float = 0.0, sem_k: int = 3,
    kw_w: float = 0.0, cent: dict[str, Any] | None = None, cent_w: float = 0.0,
    turn_alpha: float | None = None, long_c: float = 0.0, long_sessions: bool = False,
) -> None:  # fmt: skip
    if length_g and not long_c:
        ls = [lens.get(c.id, 1) for c in cands]
        mean = statistics.fmean(ls)
        for c, n in zip(cands, ls, strict=True):
            if c.keyword is not None:
                c.keyword *= (mean / max(n, 1)) ** length_g
    if long_c and long_sessions:  # sessions from the undamped fusion, turns from the damped
        trust = keyword_confidence(cands, params.keyword_gap_turns, params.keyword_gap_full)
        fuse_minmax(cands, params.alpha, trust)
        _normalise(cands)
        strength = session_strengths(cands, fused_k, sem_w, sem_k, kw_w)
        for c in cands:
            c.length = lens.get(c.id)
        damp_long_turns(cands, long_c, length_g or 2.0)
        fuse_minmax(cands, params.alpha, trust)
        _normalise(cands)
        top = max(strength.values()) or 1.0
        w = params.session_weight
        for c in cands:
            c.score = (1 - w) * c.score + w * strength[c.session or f"\x00{c.id}"] / top
        promote_dates(cands, p.query, p.now or rr.NOW, params.date_weight)
        return
    if long_c:  # the server's rule: only turns longer than long_c x the median lose BM25
        for c in cands:
            c.length = lens.get(c.id)
        damp_long_turns(cands, long_c, length_g or 2.0)
    trust = keyword_confidence(cands, params.keyword_gap_turns, params.keyword_gap_full)
    fuse_minmax(cands, params.alpha, trust)
    _normalise(cands)
    if params.session_weight > 0:
        strength = session_strengths(cands, fused_k, sem_w, sem_k, kw_w)
        if turn_alpha is not None:  # the turn's own share from a more semantic fusion
            fuse_minmax(cands, turn_alpha, trust)
            _normalise(cands)
        if cent_w and cent is not None:
            q = cent["\x01" + p.query]
            sims = {s: float(cent[s] @ q) for s in strength if s in cent}
            lo, hi = min(sims.values()), max(sims.values())
            for s_, v in sims.items():
                strength[s_] += cent_w * (v - lo) / ((hi - lo) or 1.0)
        top = max(strength.values()) or 1.0
        w = params.session_weight
        for c in cands:
            c.score = (1 - w) * c.score + w * strength[c.session or f"\x00{c.id}"] / top
    promote_dates(cands, p.query, p.now or rr.NOW, params.date_weight)


def server(cands: list[Candidate], p: rr.Pool, params: RankingParams, lens: dict[str, int]) -> None:
    """The server's own ranking, with each candidate's text length as search.py reads it."""
    for c in cands:
        c.length = lens.get(c.id)
    rank_hybrid(cands, params, p.query, p.now or rr.NOW)


def diversify(ranked: list[Candidate], keep: int, slots: int) -> list[Candidate]:
    """The first `keep` as ranked; then up to `slots` best candidates of sessions not yet
    shown; then the rest in order."""
    if slots <= 0:
        return ranked
    head = ranked[:keep]
    seen = {c.session for c in head}
    fresh: list[Candidate] = []
    for c in ranked[keep:]:
        if len(fresh) < slots and c.session not in seen:
            fresh.append(c)
            seen.add(c.session)
    chosen = {id(c) for c in fresh}
    return head + fresh + [c for c in ranked[keep:] if id(c) not in chosen]


def evaluate(pools: Sequence[rr.Pool], ranker: Callable[[list[Candidate], rr.Pool], None],
             n: int = 50, keep: int = 10, slots: int = 0) -> dict[str, float]:  # fmt: skip
    out: dict[str, list[float]] = {}
    for p in pools:
        pool = [c for c in rr._copy(p.candidates)
                if (c.semantic_rank or 10**9) <= n or (c.keyword_rank or 10**9) <= n]  # fmt: skip
        for c in pool:
            if (c.semantic_rank or 10**9) > n:
                c.semantic_rank = None
            if (c.keyword_rank or 10**9) > n:
                c.keyword_rank, c.keyword = None, None
        ranker(pool, p)
        order = diversify(sorted(pool, key=lambda c: (-c.score, c.id)), keep, slots)
        ranked = [c.id for c in order]
        keys = []
        if p.dataset == "locomo" and p.group in "1234":
            top = ranked[:10]
            found = p.evidence.intersection(top)
            s_hit = float(any(p.sessions.get(i) in p.answer_sessions for i in top))
            keys += [("L H@10", float(bool(found))), ("L sH@10", s_hit),
                     ("L R@10", len(found) / len(p.evidence))]  # fmt: skip
        elif p.dataset == "lme":
            first = next((i for i, r in enumerate(ranked, 1) if r in p.evidence), None)
            keys.append(("M tMRR", 1.0 / first if first else 0.0))
            for k in (5, 10):
                top = ranked[:k]
                s_hit = float(any(p.sessions.get(i) in p.answer_sessions for i in top))
                t_hit = float(bool(p.evidence.intersection(top)))
                keys += [(f"M sR@{k}", s_hit), (f"M tR@{k}", t_hit)]
                if p.group == lme.TEMPORAL:
                    keys += [(f"M temporal tR@{k}", t_hit), (f"M temporal sR@{k}", s_hit)]
        for key, value in keys:
            out.setdefault(key, []).append(value)
    return {k: 100 * statistics.fmean(v) for k, v in out.items()}


HEAD = (*rr.HEAD, "M tMRR")


def line(label: str, m: dict[str, float]) -> str:
    return f"| {label} | " + " | ".join(f"{m.get(h, 0):.1f}" for h in HEAD) + " |"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pools", type=Path, default=Path("/tmp/recall2/pools.pkl"))
    parser.add_argument("--locomo", type=Path, default=locomo.DEFAULT_DATASET.resolve())
    parser.add_argument("--longmemeval", type=Path, default=lme.DEFAULT_DATASET.resolve())
    parser.add_argument("--vectors", type=Path, default=Path("/tmp/recall2/vectors.npz"))
    parser.add_argument("--only", default="", help="variants whose label contains this")
    args = parser.parse_args(argv)
    pools: list[rr.Pool] = pickle.loads(args.pools.read_bytes())
    lens = lengths(args.locomo, args.longmemeval)
    cent = centroids(args.vectors, args.locomo, args.longmemeval)
    print(f"{sum(p.dataset == 'lme' for p in pools)} LongMemEval questions", file=sys.stderr)
    print("| ranking | " + " | ".join(HEAD) + " |\n|---" + "|---" * len(HEAD) + "|")
    base = rr.NOW_
    variants: dict[str, tuple[RankingParams, dict[str, Any]]] = {"= now": (base, {})}
    for g in (0.25, 0.5, 1.0):
        variants[f"kw length^{g}"] = (base, {"length_g": g})
    for k in (2, 3):
        variants[f"session mean best {k} fused"] = (base, {"fused_k": k})
    for w in (0.5, 1.0, 2.0):
        for k in (1, 3, 5):
            variants[f"session + {w} sem (max+mean{k})"] = (base, {"sem_w": w, "sem_k": k})
    for w in (0.5, 1.0):
        variants[f"session + {w} best kw"] = (base, {"kw_w": w})
    for sw in (0.2, 0.4):
        for w in (0.5, 1.0):
            variants[f"sessions {sw}, + {w} sem (max+mean3)"] = (
                replace(base, session_weight=sw),
                {"sem_w": w, "sem_k": 3},
            )
    for w in (0.25, 0.5, 1.0, 2.0):
        for sw in (0.3, 0.4, 0.5):
            variants[f"sessions {sw} + {w} centroid"] = (
                replace(base, session_weight=sw),
                {"cent": cent, "cent_w": w},
            )
    for ta in (0.7, 0.8, 0.9, 1.0):
        for sw in (0.3, 0.4, 0.5):
            variants[f"sessions {sw} (alpha 0.6), turn alpha {ta}"] = (
                replace(base, session_weight=sw),
                {"turn_alpha": ta},
            )
    for keep in (5, 6, 7, 8):
        for slots in (1, 2, 3, 4, 5):
            if keep + slots > 10:
                continue
            label = f"now, then {slots} new sessions after {keep}"
            if args.only in label:
                m = evaluate(pools, lambda c, p: rank(c, p, base, lens), keep=keep, slots=slots)
                print(line(label, m), flush=True)
    for c in (2.0, 3.0, 4.0, 5.0, 6.0):
        for g in (1.0, 2.0, 3.0, 4.0):
            label = f"kw x (({c} x median)/length)^{g} above it"
            variants[label] = (base, {"long_c": c, "length_g": g})
            variants[label + ", sessions undamped"] = (
                base,
                {"long_c": c, "length_g": g, "long_sessions": True},
            )
    for label, params in {
        "server: rank_hybrid, HYBRID_LONG_TURN 4, power 2": replace(base, long_turn_factor=4.0),
        "server: HYBRID_LONG_TURN 5, power 3": replace(
            base, long_turn_factor=5.0, long_turn_power=3.0),
        "server: HYBRID_LONG_TURN 3, power 2": replace(base, long_turn_factor=3.0),
    }.items():  # fmt: skip
        if args.only in label:
            print(
                line(label, evaluate(pools, lambda c, p, params=params: server(c, p, params, lens)))
            )
    for label, (params, extra) in variants.items():
        if args.only not in label:
            continue
        m = evaluate(
            pools, lambda c, p, params=params, extra=extra: rank(c, p, params, lens, **extra)
        )  # type: ignore[arg-type]
        print(line(label, m), flush=True)
    return 0


if __name__ == "__main__":  # the pickled Pool is benchmarks.recall_research's
    from benchmarks.session_research import main as imported_main

    sys.exit(imported_main())
