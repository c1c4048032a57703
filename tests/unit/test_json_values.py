"""What the doors refuse as unstorable JSON (models/json_values.py, api/strict_json.py)."""

from __future__ import annotations

import json

import pytest

from agent_memory_server.api.strict_json import loads
from agent_memory_server.models.json_values import MAX_JSON_DEPTH, problem


def _nested(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = {"x": value}
    return value


def test_problem_finds_each_kind_and_says_where() -> None:
    assert problem({"a": [1, 2.5, "ok", "é", {"b": None}]}) is None
    assert problem({"a": ["x", "y\ud800"]}) == (
        "value.a[1]: contains a lone surrogate (U+D800), which is not valid Unicode"
    )
    assert problem({"k\udc00": 1}, root="body") is not None  # a key too
    assert "not a finite number" in (problem({"n": float("nan")}) or "")
    assert "not a finite number" in (problem([float("-inf")]) or "")
    assert problem(_nested(MAX_JSON_DEPTH)) is None
    assert "deeper than" in (problem(_nested(MAX_JSON_DEPTH + 1)) or "")


@pytest.mark.parametrize(
    "raw",
    [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}', b'{"a": 1e400}',
     b'{"a": "x\\ud800"}', b'{"a": "\\udfff"}', b'{"\\ud800": 1}', b'{"a": "\xff"}',
     b"[" * 100_000 + b"]" * 100_000],
)  # fmt: skip
def test_loads_refuses_unstorable_bodies_as_json_errors(raw: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads(raw)


def test_loads_takes_what_json_takes() -> None:
    for raw in [b'{"a": 1.5, "b": "\\ud83d\\ude00", "c": "\\u00e9", "d": 1e300}', b"[]", b"7"]:
        assert loads(raw) == json.loads(raw)
    assert loads('{"a": "😀"}'.encode()) == {"a": "😀"}
