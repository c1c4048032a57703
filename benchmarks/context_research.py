"""Does embedding a turn with its conversational context help? Offline, on the candidate pools.

Each variant changes only what is embedded for a record (the stored text stays the turn's
text; queries are embedded as they are): the previous turn of the same session, before or
after the turn, and the session's date. Pools are collected with benchmarks/recall_research.py
(the server's store and legs) and scored with the same ranking parameters as the plain pools.

    python -m benchmarks.context_research [--vectors /tmp/recall/context.npz] [--lme]

Without --lme only LoCoMo is measured: LongMemEval's 20,000 turns take the local embedder the
better part of an hour per variant on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import recall_research as rr

PREVIOUS_CHARS = 300


def _previous(turns: Sequence[Any], i: int) -> str:
    if i == 0 or turns[i - 1].session != turns[i].session:
        return ""
    return str(turns[i - 1].text)[-PREVIOUS_CHARS:]


def _date(turn: Any) -> str:
    when = getattr(turn, "created_at", None) or getattr(turn, "date", None)
    return f"{when:%d %B %Y}" if when is not None else ""


def previous_then_turn(turns: Sequence[Any], i: int) -> str:
    prev = _previous(turns, i)
    return f"{prev}\n{turns[i].text}" if prev else str(turns[i].text)


def turn_then_previous(turns: Sequence[Any], i: int) -> str:
    prev = _previous(turns, i)
    return f"{turns[i].text}\n{prev}" if prev else str(turns[i].text)


def turn_then_previous_dated(turns: Sequence[Any], i: int) -> str:
    return f"{turn_then_previous(turns, i)}\n({_date(turns[i])})"


VARIANTS: dict[str, Callable[[Sequence[Any], int], str]] = {
    "turn, then previous turn": turn_then_previous,
    "previous turn, then turn": previous_then_turn,
    "turn, previous turn, date": turn_then_previous_dated,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Contextual embeddings on the dev sets")
    parser.add_argument("--vectors", type=Path, default=Path("/tmp/recall/context.npz"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/recall"))
    parser.add_argument("--lme", action="store_true", help="also LongMemEval (embedded ones)")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS))
    args = parser.parse_args(argv)
    params = rr.REPORTED
    print("| embedded text | ranking | " + " | ".join(rr.HEAD) + " |")
    for name in args.variant or list(VARIANTS):
        path = args.out / f"pools-{VARIANTS[name].__name__}.pkl"
        if path.exists():
            pools = pickle.loads(path.read_bytes())
        else:
            pools = asyncio.run(rr.collect(
                args.vectors, rr.locomo.DEFAULT_DATASET.resolve(), rr.lme.DEFAULT_DATASET.resolve(),
                partial=True, record_text=VARIANTS[name], skip_lme=not args.lme,
            ))  # fmt: skip
            path.write_bytes(pickle.dumps(pools))
        for label, p in params.items():
            print(rr.line(f"{name} | {label}", rr.evaluate(pools, p)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
