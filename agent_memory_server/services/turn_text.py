"""What a record's words say about a query, for hybrid ranking's turn rules (pure functions).

`coverage(terms, text)`: the share of the query's content words (storage/filters.py:
query_terms, stop words removed) that the record contains, both sides reduced by a light
suffix stemmer (no model, no download), so "moved" meets "move" and "classes" meets "class".
BM25 counts repetitions; coverage does not, so an assistant's long answer repeating one query
word many times scores no higher than a short turn naming it once.

`addresses_assistant(query)`: the query speaks to the assistant ("what did you say", "your
advice"), so the assistant's own turns are what is asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

_WORD = re.compile(r"[\w][\w'-]*", re.UNICODE)
_YOU = re.compile(r"\b(?:you|your|yours|yourself)\b", re.IGNORECASE)
_KEEP_DOUBLE = frozenset("lsz")
# How a question asks rather than what it asks about ("how many months ago", "which first"):
# left out of coverage, where a turn stating the fact would otherwise miss them.
QUESTION_WORDS = frozenset(
    "ago many much long first last day week month year time".split()  # noqa: SIM905
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English suffix stemmer: plural -s/-es/-ies, -ing, -ed, -ly, possessive 's, a
    doubled final consonant and a final e dropped ("running" -> "run", "moved" -> "mov",
    "move" -> "mov", "studies" -> "study"). Not linguistics: the same reduction on both sides
    of a comparison is what matters."""
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif _two_letter_suffix(w):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiou" and w[-1] not in _KEEP_DOUBLE:
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def _two_letter_suffix(w: str) -> bool:
    """-ed, -ly, or -es after s/x/z ("boxes")."""
    return (
        (w.endswith("ed") and len(w) > 4)
        or (w.endswith("ly") and len(w) > 5)
        or (w.endswith("es") and len(w) > 4 and w[-3] in "sxz")
    )


def stems(text: str) -> set[str]:
    """The distinct stems of a text's words."""
    return {stem(m.group(0).strip("'-")) for m in _WORD.finditer(text)}


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class Coverage:
    """coverage(terms, text) for one query over many texts. The stem of a word is a prefix of
    it (but for -ies -> -y, where the stem less its y is), so only the places where the
    lower-cased text contains a query stem's prefix (str.find, in C) at the start of a word
    are read and stemmed: the same result as stemming every word, about five times faster
    on LongMemEval's long turns."""

    def __init__(self, terms: Sequence[str], ignored: frozenset[str] = frozenset()) -> None:
        self.wanted = {stem(t) for t in terms} - ignored
        self.prefixes: dict[str, set[str]] = {}
        for w in self.wanted:
            self.prefixes.setdefault(w[:-1] if w.endswith("y") and len(w) > 1 else w, set()).add(w)

    def _starts_word(self, low: str, i: int) -> bool:
        """A word of _WORD starts at i: no word character before it, nor one of - ' that
        continues a word."""
        if i == 0 or _word_char(low[i - 1]):
            return i == 0
        return not (low[i - 1] in "-'" and i > 1 and _word_char(low[i - 2]))

    def __call__(self, text: str) -> float | None:
        if not self.wanted:
            return None
        low = text.lower()
        found: set[str] = set()
        for prefix, stems_ in self.prefixes.items():
            i = low.find(prefix)
            while i != -1 and not stems_ <= found:
                if self._starts_word(low, i):
                    word = _WORD.match(low, i)
                    if word is not None and stem(word.group(0).strip("'-")) in stems_:
                        found.add(stem(word.group(0).strip("'-")))
                i = low.find(prefix, i + 1)
        return len(found) / len(self.wanted)


def coverage(
    terms: Sequence[str], text: str, ignored: frozenset[str] = frozenset()
) -> float | None:
    """Share (0-1) of the distinct stems of `terms` (less the stems in `ignored`) found among
    the words of `text`; None when there are no terms."""
    return Coverage(terms, ignored)(text)


# How a question asks for a count or a span of time, not what it asks about: "how many days
# ago", "how long", "the total number of", "in total". Matched as phrases, so that "number"
# in "phone number" or "days" in "rainy days" stay.
_QUESTION_FORM = re.compile(
    r"""\b(?:
        how\s+(?:many|much)(?:\s+(?:days|weeks|months|years|hours|minutes|times)\b(?:\s+ago\b)?)?
      | how\s+long(?:\s+ago)?
      | (?:the\s+)?total\s+(?:number|amount|count)\s+of
      | the\s+number\s+of
      | in\s+total
      | ago
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)


def without_question_form(query: str) -> str:
    """The query less how it asks ("How many days ago did I meet Emma?" -> " did I meet
    Emma?"): those words name no memory's content, yet BM25 rewards any record that repeats
    them (a table of totals, a log of days)."""
    return _QUESTION_FORM.sub(" ", query)


def addresses_assistant(query: str) -> bool:
    """The query names the assistant ("you", "your")."""
    return _YOU.search(query) is not None
