"""What a JSON value must be for this server to store and send it back.

- numbers are finite (JSON has no NaN or Infinity; 1e400 overflows a float to infinity);
- strings are valid Unicode (a lone UTF-16 surrogate such as "\\ud800" cannot be encoded);
- objects and arrays nest at most MAX_JSON_DEPTH levels (RedisJSON refuses documents nested
  past 128 levels, and every encoder has a recursion limit).

The REST door checks request bodies (api/strict_json.py), the MCP door tool arguments
(mcp/errors.py), and the free-form objects of the models (`data`, `metadata`, strategy
`config`: `JSONObject`) check themselves, whatever door they came through.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo

MAX_JSON_DEPTH = 32


def _where(root: str, path: tuple[str | int, ...]) -> str:
    """`root.key[0].key`, with anything unencodable in a key written as an escape."""
    parts = (
        f"[{p}]" if isinstance(p, int) else "." + p.encode("utf-8", "backslashreplace").decode()
        for p in path
    )
    return root + "".join(parts)


def problem(value: Any, max_depth: int = MAX_JSON_DEPTH, root: str = "value") -> str | None:
    """What makes `value` unrepresentable, where (`root` names the value itself), or None."""
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(value, 0, ())]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as e:
                    code = ord(item[e.start])
                    return (
                        f"{_where(root, path)}: contains a lone surrogate (U+{code:04X}), "
                        "which is not valid Unicode"
                    )
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{_where(root, path)}: {item} is not a finite number"
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                return (
                    f"{_where(root, path)}: objects and arrays nest deeper than {max_depth} "
                    "levels, the most this server accepts"
                )
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str) and not key.isascii():
                    stack.append((key, depth + 1, (*path, key)))
                stack.append((child, depth + 1, (*path, key)))
    return None


def _representable(value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
    if info.context is not None and info.context.get("stored"):  # ours, checked on the way in
        return value
    found = problem(value)
    if found is not None:
        raise ValueError(found)
    return value


# A free-form JSON object (session data, record metadata): checked as the module doc says.
JSONObject = Annotated[dict[str, Any], AfterValidator(_representable)]
