"""A local extractive summarizer: no model, no network, bounded by a token budget.

Sentences of the previous summary and of the folded messages are scored by the rarity (IDF)
of the content words they bring that the summary does not cover yet, per square root of their
length, and the best are kept, in their original order, until the budget is spent. Filler
that recurs in every turn scores low; names, numbers and dates weigh more, so the facts an
agent needs later survive.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'_-]*")
_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    ok okay yes yeah sure thanks thank hi hello hey really also get got like just well oh
    user assistant system tool""".split()  # noqa: SIM905
)

MAX_UNITS = 2000  # newest sentences the greedy selection considers


def content_words(sentence: str) -> dict[str, float]:
    """Content words of a sentence with their weight: names, numbers and dates weigh more."""
    words: dict[str, float] = {}
    for match in _WORD.finditer(sentence):
        word = match.group(0)
        lower = word.lower()
        if lower in _STOPWORDS or len(lower) < 2:
            continue
        salient = (word[0].isupper() and match.start() > 0) or word[0].isdigit()
        words[lower] = max(words.get(lower, 1.0), 1.5 if salient else 1.0)
    return words


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def extractive_summary(
    previous_summary: str | None,
    lines: Sequence[str],
    max_tokens: int,
    count_tokens: Callable[[str], int],
) -> str:
    """Summarize `previous_summary` plus `lines` into at most `max_tokens` tokens.

    Greedy selection is quadratic in the sentences, so only the previous summary and the
    newest MAX_UNITS sentences are considered (the summary holds far fewer anyway).
    """
    units: list[str] = split_sentences(previous_summary) if previous_summary else []
    fresh: list[str] = []
    for line in lines:
        fresh.extend(split_sentences(line))
    units.extend(fresh[-MAX_UNITS:])
    if not units:
        return ""
    bags = [content_words(unit) for unit in units]
    document_frequency = Counter(word for bag in bags for word in bag)
    idf = {w: math.log(1 + len(units) / df) for w, df in document_frequency.items()}
    costs = [count_tokens(unit) + 1 for unit in units]
    covered: set[str] = set()
    chosen: set[int] = set()
    used = 0
    candidates = set(range(len(units)))

    def gain(i: int) -> tuple[float, int]:
        fresh = sum(idf[w] * weight for w, weight in bags[i].items() if w not in covered)
        return fresh / math.sqrt(costs[i]), i  # ties go to the newer sentence

    while candidates and used < max_tokens - 2:
        best = max(candidates, key=gain)
        candidates.discard(best)
        if gain(best)[0] <= 0:
            break  # gains only shrink as words get covered: nothing left adds anything
        if used + costs[best] > max_tokens:
            continue
        chosen.add(best)
        used += costs[best]
        covered.update(bags[best])
    if not chosen:  # even the best sentence is too long: cut it to the budget
        return _truncate(units[0], max_tokens, count_tokens)
    return " ".join(units[i] for i in sorted(chosen))


def _truncate(text: str, max_tokens: int, count_tokens: Callable[[str], int]) -> str:
    words = text.split()
    while words and count_tokens(" ".join(words)) > max_tokens:
        words = words[: max(1, int(len(words) * 0.8))] if len(words) > 1 else []
    return " ".join(words)
