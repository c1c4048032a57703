"""The fusion rules compared by benchmarks/fusion_research.py: each turns a text leg and a
vector leg (best first, higher is better) into one top-20 list."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping

Ranked = list[tuple[str, float]]  # (dia_id, score), best first; higher is better
RRF_KS = (1, 2, 5, 10, 60)


def ids(leg: Ranked) -> list[str]:
    return [d for d, _ in leg]


def minmax(leg: Ranked) -> dict[str, float]:
    if not leg:
        return {}
    hi, lo = max(s for _, s in leg), min(s for _, s in leg)
    return {d: (s - lo) / (hi - lo) if hi > lo else 1.0 for d, s in leg}


def zscore(leg: Ranked) -> dict[str, float]:
    if len(leg) < 2:
        return {d: 0.0 for d, _ in leg}
    scores = [s for _, s in leg]
    mu, sd = statistics.fmean(scores), statistics.pstdev(scores) or 1.0
    return {d: (s - mu) / sd for d, s in leg}


def top20(fused: Mapping[str, float]) -> list[str]:
    return sorted(fused, key=lambda d: -fused[d])[:20]  # stable: text leg first on ties


def linear(
    text: Ranked, vec: Ranked, alpha: float, n: int, norm: Callable[[Ranked], dict[str, float]]
) -> list[str]:
    """alpha * norm(vector) + (1 - alpha) * norm(text) over the union of both top-n; a
    candidate missing from a leg gets that leg's lowest normalised score (0 for min-max)."""
    t, v = norm(text[:n]), norm(vec[:n])
    t_floor, v_floor = min(t.values(), default=0.0), min(v.values(), default=0.0)
    pool = list(t) + [d for d in v if d not in t]
    return top20({d: alpha * v.get(d, v_floor) + (1 - alpha) * t.get(d, t_floor) for d in pool})


def cos_fill(text: Ranked, exact: Ranked, alpha: float, n: int) -> list[str]:
    """Min-max linear, but every candidate gets its exact cosine (``exact``: the whole
    namespace by similarity), min-max normalised over the candidates."""
    t, cos = minmax(text[:n]), dict(exact)
    pool = list(t) + [d for d, _ in exact[:n] if d not in t]
    lo, hi = min(cos[d] for d in pool), max(cos[d] for d in pool)
    return top20({d: alpha * (cos[d] - lo) / (hi - lo) + (1 - alpha) * t.get(d, 0.0) for d in pool})


def rrf(text: Ranked, vec: Ranked, alpha: float, n: int, k: float) -> list[str]:
    """Weighted reciprocal-rank fusion over both top-n (ranks from 1)."""
    fused: dict[str, float] = {}
    for weight, leg in ((1 - alpha, text), (alpha, vec)):
        for rank, (d, _) in enumerate(leg[:n], 1):
            fused[d] = fused.get(d, 0.0) + weight / (k + rank)
    return top20(fused)


def interleave(text: Ranked, vec: Ranked, alpha: float, n: int) -> list[str]:
    """Alternate the two top-n lists (vector first when alpha > 0.5), skipping repeats."""
    first, second = (vec, text) if alpha > 0.5 else (text, vec)
    out: list[str] = []
    for pair in zip(ids(first[:n]) + [""] * n, ids(second[:n]) + [""] * n, strict=False):
        out += [d for d in pair if d and d not in out]
    return out[:20]


def fusions(text: Ranked, vec: Ranked, exact: Ranked, alpha: float, n: int) -> dict[str, list[str]]:
    out = {
        "minmax": linear(text, vec, alpha, n, minmax),
        "zscore": linear(text, vec, alpha, n, zscore),
        "cos_fill": cos_fill(text, exact, alpha, n),
        "interleave": interleave(text, vec, alpha, n),
    }
    for k in RRF_KS:
        out[f"rrf k={k}"] = rrf(text, vec, alpha, n, k)
    return out
