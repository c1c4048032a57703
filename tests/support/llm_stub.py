"""A small local OpenAI-compatible HTTP server standing in for paid model APIs in tests.

Deterministic: chat completions answer with a summary built from the prompt's words,
embeddings are hashed bag-of-words vectors. Every request is recorded; `fail_next` makes the
next N requests answer 500 (to test retries); `delay` makes every answer wait that many seconds.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class StubState:
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    reply: str | None = None
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _embedding(text: str, dimensions: int = 64) -> list[float]:
    vector = [0.0] * dimensions
    for word in text.lower().split():
        vector[int(hashlib.sha1(word.encode()).hexdigest(), 16) % dimensions] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class _Handler(BaseHTTPRequestHandler):
    server: _StubServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        state = self.server.state
        with state.lock:
            state.requests.append({"path": self.path, "body": body})
            failing = state.fail_next > 0
            if failing:
                state.fail_next -= 1
        if state.delay:
            time.sleep(state.delay)
        if failing:
            self._send(500, {"error": {"message": "stub failure", "type": "server_error"}})
            return
        if self.path.endswith("/chat/completions"):
            prompt = body["messages"][-1]["content"]
            text = state.reply or "STUB SUMMARY: " + " ".join(prompt.split()[:12])
            self._send(200, {
                "id": "chatcmpl-stub", "object": "chat.completion", "created": 0,
                "model": body.get("model", "stub"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": 5,
                          "total_tokens": len(prompt.split()) + 5},
            })  # fmt: skip
        elif self.path.endswith("/embeddings"):
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [
                {"object": "embedding", "index": i, "embedding": _embedding(str(text))}
                for i, text in enumerate(inputs)
            ]
            self._send(200, {"object": "list", "data": data, "model": body.get("model"),
                             "usage": {"prompt_tokens": 1, "total_tokens": 1}})  # fmt: skip
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: StubState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class LLMStub:
    """Start with `with LLMStub() as stub:`; point OPENAI_BASE_URL at `stub.base_url`."""

    def __init__(self) -> None:
        self.state = StubState()
        self._server = _StubServer(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.state.requests if r["path"].endswith("/chat/completions")]

    def __enter__(self) -> LLMStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
