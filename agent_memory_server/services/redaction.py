"""Redaction before anything is stored or embedded: e-mail addresses, phone numbers, API keys
and any pattern of the operator's (settings REDACT and REDACT_PATTERNS).

A match becomes `[REDACTED:<kind>]`. Working-memory messages, contexts and memories, and
long-term texts pass through here on every write, so neither Redis, the index, the embedder
nor an LLM ever sees them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from agent_memory_server.config import Settings
from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.models.working_memory import MemoryMessage

BUILTIN = {
    "emails": r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    # Digits with separators; _phone keeps those with 9-15 digits that are not a date or time.
    "phones": r"(?<![\w+])\+?\(?\d[\d ().-]{6,}\d(?!\w)",
    "keys": (
        r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}"
        r"|xox[abpr]-[A-Za-z0-9-]{10,}|ams_[A-Za-z0-9_-]{20,}"
        r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
    ),
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}")


def _keep_phone(match: re.Match[str]) -> bool:
    digits = sum(c.isdigit() for c in match.group())
    return 9 <= digits <= 15 and not _DATE.search(match.group())


@lru_cache(maxsize=8)
def _rules(kinds: tuple[str, ...], extra: tuple[str, ...]) -> list[tuple[str, re.Pattern[str]]]:
    rules = [(kind.rstrip("s"), re.compile(BUILTIN[kind])) for kind in kinds]
    return rules + [("pattern", re.compile(p)) for p in extra]


def redact(settings: Settings, text: str) -> str:
    """The text with every configured pattern replaced by `[REDACTED:<kind>]`."""
    for kind, pattern in _rules(tuple(settings.redact), tuple(settings.redact_patterns)):

        def replace(match: re.Match[str], kind: str = kind) -> str:
            if kind == "phone" and not _keep_phone(match):
                return match.group()
            return f"[REDACTED:{kind}]"

        text = pattern.sub(replace, text)
    return text


def active(settings: Settings) -> bool:
    return bool(settings.redact or settings.redact_patterns)


def messages(settings: Settings, items: Sequence[MemoryMessage]) -> list[MemoryMessage]:
    if not active(settings):
        return list(items)
    return [m.model_copy(update={"content": redact(settings, m.content)}) for m in items]


def records(settings: Settings, items: Sequence[MemoryRecord]) -> list[MemoryRecord]:
    if not active(settings):
        return list(items)
    return [r.model_copy(update={"text": redact(settings, r.text)}) for r in items]


def text(settings: Settings, value: str | None) -> str | None:
    return value if value is None or not active(settings) else redact(settings, value)
