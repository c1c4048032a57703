"""Search filters -> redisvl filter expressions, and the keyword leg's query string."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import reduce

from redisvl.query.filter import FilterExpression, Num, Tag
from redisvl.utils.token_escaper import TokenEscaper

from agent_memory_server.models.filters import NumericFilter, TagFilter

TAG_FIELDS = ("session_id", "namespace", "user_id", "topics", "entities", "memory_type")
NUMERIC_FIELDS = ("created_at", "last_accessed", "event_date")

_WORD = re.compile(r"[\w][\w'-]*", re.UNICODE)
_ESCAPER = TokenEscaper()

# Question words and function words carry no evidence in a memory; BM25 would still reward them.
QUERY_STOPWORDS = frozenset(
    """a about after again all also am an and any are as at be been before being both but by
    can could did do does doing during each for from had has have having he her here hers him
    his how i if in into is it its just me more most my no nor not now of off on once only or
    other our out over own same she should so some such than that the their them then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours""".split()  # noqa: SIM905
)


def tag_expression(field: str, spec: TagFilter) -> FilterExpression:
    tag = Tag(field)
    if spec.eq is not None:
        return tag == spec.eq
    if spec.ne is not None:
        return tag != spec.ne
    if spec.any is not None:
        return tag == list(spec.any)
    if spec.all is not None:
        return reduce(lambda a, b: a & b, (tag == value for value in spec.all))
    assert spec.none is not None
    return tag != list(spec.none)


def numeric_expression(field: str, spec: NumericFilter) -> FilterExpression:
    num = Num(field)
    if spec.eq is not None:
        return num == spec.eq
    if spec.ne is not None:
        return num != spec.ne
    if spec.between is not None:
        return num.between(spec.between[0], spec.between[1])
    parts: list[FilterExpression] = []
    if spec.gt is not None:
        parts.append(num > spec.gt)
    if spec.gte is not None:
        parts.append(num >= spec.gte)
    if spec.lt is not None:
        parts.append(num < spec.lt)
    if spec.lte is not None:
        parts.append(num <= spec.lte)
    return reduce(lambda a, b: a & b, parts)


def combine(
    tags: dict[str, TagFilter | None], numbers: dict[str, NumericFilter | None]
) -> FilterExpression | None:
    """AND of every given filter; None when there is none."""
    parts = [tag_expression(f, spec) for f, spec in tags.items() if spec is not None]
    parts += [numeric_expression(f, spec) for f, spec in numbers.items() if spec is not None]
    if not parts:
        return None
    return reduce(lambda a, b: a & b, parts)


def query_terms(text: str) -> list[str]:
    """Lower-cased content words of a query, stopwords removed, in order, without repeats."""
    seen: dict[str, None] = {}
    for match in _WORD.finditer(text.lower()):
        word = match.group(0).strip("'-")
        if len(word) > 1 and word not in QUERY_STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


def text_query_string(field: str, terms: Sequence[str]) -> str:
    """`@field:(a | b | c)`: any term may match; BM25 rewards the ones that do."""
    escaped = " | ".join(_ESCAPER.escape(term) for term in terms)
    return f"@{field}:({escaped})"


_NAMESPACE_TAG = re.compile(r"^@namespace:\{(.*)\}$", re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def namespaces_of(where: FilterExpression | None) -> set[str] | None:
    """The namespaces a filter confines a search to, or None when it names none (an AND of
    terms confines to the intersection of its terms' namespaces)."""
    if where is None:
        return None
    operator = getattr(where, "_operator", None)
    if operator is not None:
        if getattr(operator, "name", "") != "AND":
            return None
        left = namespaces_of(where._left)
        right = namespaces_of(where._right)
        if left is None or right is None:
            return right if left is None else left
        return left & right
    match = _NAMESPACE_TAG.match(str(getattr(where, "_filter", "") or ""))
    if match is None:
        return None
    values = re.split(r"(?<!\\)\|", match.group(1))
    return {_UNESCAPE.sub(r"\1", value.strip()) for value in values}
