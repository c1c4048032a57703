"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.fuzz.unrepresentable): every other JSON body is
sent with one value the server cannot store put into it, in turn: a lone surrogate in a string,
NaN, Infinity or 1e400 for a number, a value nested 200 and 5,000 levels deep. Schemathesis
itself only generates representable JSON. The server must answer each with a 4xx, never a 5xx.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import schemathesis

LONE_SURROGATE = "a\ud800b"
DEEP = 200
DEEPER = 5000


def _nested(levels: int) -> str:
    return '{"x": ' * levels + "1" + "}" * levels


# Each mutation: (what it replaces, the raw JSON text put in its place).
MUTATIONS: list[tuple[type, str]] = [
    (str, json.dumps(LONE_SURROGATE)),  # ensure_ascii writes the escape "\ud800"
    (float, "NaN"),
    (float, "Infinity"),
    (float, "1e400"),
    (dict, _nested(DEEP)),
    (dict, _nested(DEEPER)),
]
_calls = itertools.count()  # every other body is mutated
_turn = itertools.count()  # which mutation comes next
MARK = "\x00unrepresentable\x00"


def _replace_first(value: Any, kind: type) -> tuple[Any, bool]:
    """`value` with its first leaf of `kind` (ints count as numbers) replaced by MARK."""
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return MARK, True
    if kind is str and isinstance(value, str):
        return MARK, True
    if isinstance(value, dict):
        for key, child in value.items():
            if kind is dict and isinstance(child, dict | list):
                return {**value, key: MARK}, True
            replaced, done = _replace_first(child, kind)
            if done:
                return {**value, key: replaced}, True
    if isinstance(value, list):
        for i, child in enumerate(value):
            replaced, done = _replace_first(child, kind)
            if done:
                return [*value[:i], replaced, *value[i + 1 :]], True
    return value, False


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    body = case.body
    if not isinstance(body, dict | list) or next(_calls) % 2:
        return
    for _ in range(len(MUTATIONS)):
        kind, raw = MUTATIONS[next(_turn) % len(MUTATIONS)]
        mutated, done = _replace_first(body, kind)
        if done:
            text = json.dumps(mutated).replace(json.dumps(MARK), raw, 1)
            case.body = text.encode()
            return
