"""Logging set-up: one line per record on stderr, as text or as JSON (LOG_FORMAT).

In JSON mode every record is one object with `time`, `level`, `logger`, `message`, the
record's `extra` fields (the request log's method, route, status, latency_ms...) and the id of
the HTTP request being served, so that every line a request causes can be found by its id.
In text mode that id ends the line.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from agent_memory_server.config import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The id of the HTTP request the current task serves (set by the request middleware).
current_request_id: ContextVar[str | None] = ContextVar("agent_memory_request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(
    {*logging.LogRecord("", 0, "", 0, "", None, None).__dict__, "message", "asctime"}
)
# uvicorn adds a coloured copy of some messages; it is noise in JSON.
_SKIPPED = frozenset({"color_message"})


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to records made while an HTTP request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = current_request_id.get()
            if request_id is not None:
                record.request_id = request_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in _SKIPPED and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT; a record made while a request is served ends its first line with the
    request's id, as `[request_id=...]`."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id is None:
            return line
        first, newline, rest = line.partition("\n")  # a traceback follows on the next lines
        return f"{first} [request_id={request_id}]{newline}{rest}"


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler installed by `configure_logging` (replaced when called again)."""


def configure_logging(settings: Settings) -> None:
    """Send every logger's records to stderr in LOG_FORMAT at LOG_LEVEL.

    stderr, because stdout carries protocol frames when a command speaks stdio.
    """
    handler = _OurHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.captureWarnings(True)  # Python warnings become records in the same format
