"""The JSON log formatter and the request id filter."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from agent_memory_server.logs import (
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
    current_request_id,
)


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("some.logger", logging.WARNING, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_json_line_has_message_extras_and_exception() -> None:
    record = _record("%d items in %s", 3, "box", route="/x/{id}", where=Path("/tmp"))
    try:
        raise ValueError("bad value")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "3 items in box"
    assert entry["level"] == "WARNING" and entry["logger"] == "some.logger"
    assert entry["route"] == "/x/{id}"
    assert entry["where"] == "/tmp"  # not JSON-native: written as its str()
    assert "ValueError: bad value" in entry["exception"]
    assert entry["time"].endswith("+00:00")
    assert "args" not in entry and "msg" not in entry and "exc_info" not in entry


def test_request_id_is_added_while_a_request_is_served() -> None:
    id_filter = RequestIdFilter()
    outside = _record("before")
    assert id_filter.filter(outside) and not hasattr(outside, "request_id")
    assert TextFormatter().format(outside).endswith("WARNING some.logger: before")
    token = current_request_id.set("rid-7")
    try:
        inside = _record("during")
        assert id_filter.filter(inside)
        assert json.loads(JsonFormatter().format(inside))["request_id"] == "rid-7"
        assert (
            TextFormatter()
            .format(inside)
            .endswith("WARNING some.logger: during [request_id=rid-7]")
        )
        try:
            raise ValueError("bad value")
        except ValueError:
            inside.exc_info = sys.exc_info()
        first, *traceback = TextFormatter().format(inside).splitlines()
        assert (
            first.endswith("during [request_id=rid-7]") and "ValueError: bad value" in traceback[-1]
        )
        own = _record("own id", request_id="given")
        id_filter.filter(own)
        assert own.request_id == "given"
    finally:
        current_request_id.reset(token)
