"""The stdio server's front: answers the MCP handshake while the server behind it starts.

Claude Desktop, Cursor and the MCP Inspector spawn `agent-memory mcp --mode stdio` and give
it seconds to answer `initialize` and `tools/list`; importing FastMCP and the MCP SDK,
building the tool schemas and opening Redis take longer than that on a busy machine. This
module imports nothing but the standard library. `StdioFront.start()` (run by the command
before anything heavy is imported) keeps the client's stdin and stdout to itself and puts
two pipes in their place as the process's fd 0 and 1, which the real server (FastMCP's stdio
transport) then reads and writes as if they were the client's. Two threads pump between them:

- client -> server: every message is passed on, in order, except that until the server has
  answered `initialize`, the front answers `initialize` (passing it on too, so that the
  server's session is initialized), and answers `tools/list` and `ping` itself, from the
  recorded replies of this version of the server (`handshake.json`, kept equal to the live
  server's by tests/integration/test_mcp_handshake.py). A client of the per-request-envelope
  protocol (2026-07-28) starts with `server/discover` instead: the front answers it (the
  server needs no handshake then) and the enveloped `tools/list`. Anything else waits in the
  pipe for the server. A first message the recording cannot answer (an unknown version)
  turns the front into a plain pipe.
- server -> client: every line is passed on, except the server's own reply to an
  `initialize` the front already answered (compared with the front's reply: a difference is
  logged). A line that is not a JSON-RPC message (a stray print) goes to stderr instead.

Once the server has answered `initialize`, the front passes everything on unread.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

logger = logging.getLogger(__name__)

HANDSHAKE = Path(__file__).with_name("handshake.json")
_CLOSE = b'{"front": "close"}\n'  # the server side's last line (see close())


def load_handshake(path: Path = HANDSHAKE) -> dict[str, Any] | None:
    try:
        loaded: dict[str, Any] = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return loaded


def _envelope_version(params: dict[str, Any]) -> str | None:
    meta = params.get("_meta")
    if not isinstance(meta, dict):
        return None
    version = meta.get("io.modelcontextprotocol/protocolVersion")
    return version if isinstance(version, str) else None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class StdioFront:
    """See the module doc. `start()` once, before the server imports; `close()` after it ends."""

    def __init__(self, handshake: dict[str, Any] | None) -> None:
        self._handshake = handshake or {}
        self._answered: dict[Any, bytes] = {}  # initialize ids answered here -> our reply
        self._server_ready = threading.Event()
        self._out_lock = threading.Lock()
        self._version: str | None = None  # the protocol version agreed by initialize
        self._modern: str | None = None  # or the one of server/discover (request envelopes)
        self._passthrough = False  # a first message the recording cannot answer: pass all on
        self._wire_out = -1
        self._to_server = -1
        self._pump_out: threading.Thread | None = None

    def start(self) -> None:
        sys.stdout.flush()
        wire_in = os.dup(0)
        self._wire_out = os.dup(1)
        server_in, self._to_server = os.pipe()
        from_server, server_out = os.pipe()
        os.dup2(server_in, 0)
        os.dup2(server_out, 1)
        os.close(server_in)
        os.close(server_out)
        threading.Thread(
            target=self._client_to_server, args=(os.fdopen(wire_in, "rb"),),
            name="stdio-front-in", daemon=True,
        ).start()  # fmt: skip
        self._pump_out = threading.Thread(
            target=self._server_to_client, args=(os.fdopen(from_server, "rb"),),
            name="stdio-front-out", daemon=True,
        )  # fmt: skip
        self._pump_out.start()

    def close(self, timeout: float = 10.0) -> None:
        """Pass on what the server wrote last, then stop (call after the server has ended)."""
        if self._pump_out is None:
            return
        sys.stdout.flush()
        try:
            _write_all(1, _CLOSE)
        except OSError:
            return
        self._pump_out.join(timeout)

    def _send(self, data: bytes) -> None:
        with self._out_lock:
            _write_all(self._wire_out, data)

    def _reply(self, request_id: Any, result: Any) -> bytes:
        frame = {"jsonrpc": "2.0", "id": request_id, "result": result}
        return (json.dumps(frame, separators=(",", ":"), ensure_ascii=False) + "\n").encode()

    def _answer(self, line: bytes) -> tuple[bytes | None, bool]:
        """(our reply to the client or None, whether the server must see the message too)."""
        try:
            message = json.loads(line)
        except ValueError:
            return None, True
        if self._passthrough or not isinstance(message, dict) or "id" not in message:
            return None, True
        method, request_id = message.get("method"), message["id"]
        params = message.get("params") or {}
        if not isinstance(params, dict):
            return None, True
        if self._version is None and self._modern is None:
            if method == "initialize":
                return self._initialize(request_id, params.get("protocolVersion"))
            if method == "server/discover":
                return self._discover(request_id, _envelope_version(params))
            return None, True
        reply = None
        if self._modern is not None:  # per-request envelopes: nothing to pass on
            listing = method == "tools/list" and params.keys() == {"_meta"}
            if listing and _envelope_version(params) == self._modern:
                reply = self._recorded(request_id, "modern_tools", self._modern)
        elif method == "ping":
            reply = self._reply(request_id, {})
        elif method == "tools/list" and not params:
            reply = self._recorded(request_id, "tools", self._version)
        return reply, reply is None  # what the recording cannot answer, the server does

    def _recorded(self, request_id: Any, what: str, version: str | None) -> bytes | None:
        index = self._handshake.get(what, {}).get(version)
        return None if index is None else self._reply(request_id, self._handshake["results"][index])

    def _initialize(self, request_id: Any, wanted: Any) -> tuple[bytes | None, bool]:
        versions: dict[str, int] = self._handshake.get("initialize", {})
        version = wanted if wanted in versions else self._handshake.get("fallback")
        reply = self._recorded(request_id, "initialize", version)
        if reply is None:
            self._passthrough = True
            return None, True
        self._version = version
        self._answered[request_id] = reply
        return reply, True  # the server's session must be initialized too

    def _discover(self, request_id: Any, version: str | None) -> tuple[bytes | None, bool]:
        """The per-request-envelope protocol: the server needs no handshake, only the later
        requests (each names its version), so the discovery is answered here alone."""
        reply = self._recorded(request_id, "discover", version)
        if reply is None:
            self._passthrough = True
            return None, True
        self._modern = version
        return reply, False

    def _client_to_server(self, client: BinaryIO) -> None:
        try:
            for line in client:
                if not self._server_ready.is_set():
                    reply, forward = self._answer(line)
                    if reply is not None:
                        self._send(reply)
                    if not forward:
                        continue
                _write_all(self._to_server, line)
        except OSError as e:
            logger.debug("stdio front: client input ended: %s", e)
        finally:
            os.close(self._to_server)  # the server reads EOF: the MCP stdio shutdown

    def _server_to_client(self, server: BinaryIO) -> None:
        for line in server:
            if line == _CLOSE:
                return
            passed = line
            if not self._server_ready.is_set():
                passed = self._from_server_before_ready(line)
                if not passed:
                    continue
            try:
                self._send(passed)
            except OSError:
                return

    def _from_server_before_ready(self, line: bytes) -> bytes:
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if isinstance(message, list):  # a JSON-RPC batch (protocol 2025-03-26)
            return line
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            sys.stderr.buffer.write(line)  # a stray print: never onto the wire
            sys.stderr.flush()
            return b""
        request_id = message.get("id")
        if "method" in message or request_id not in self._answered:
            return line
        ours = json.loads(self._answered.pop(request_id))
        self._server_ready.set()
        if ours != message:
            logger.warning(
                "mcp/handshake.json differs from the server's initialize reply (regenerate it: "
                "python -m agent_memory_server.mcp.handshake)"
            )
        return b""
