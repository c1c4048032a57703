"""A lean HTTP/1.1 client for the load benchmark: keep-alive connections over asyncio streams.

The floors are issued with redis-py and hiredis, which cost the benchmark process about 0.12 ms
of CPU per command. httpx costs about 0.8 ms per request (measured on this machine: client CPU
per GET), more than the whole server-side work of a GET of working memory, so a ratio against
the floor taken with httpx measures the client library more than the API. This client does
what the API needs and nothing more: requests with an optional JSON body, answers framed by
Content-Length or chunked encoding, connections reused while fresh (closed after 2 s idle,
before the server's keep-alive timeout).
benchmarks/api_load.py keeps one httpx row as a reference for what a typical client adds.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import time
from typing import Any
from urllib.parse import urlencode, urlsplit


class HTTPStatusError(Exception):
    pass


class Response:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise HTTPStatusError(f"{self.status_code}: {self.content[:500]!r}")


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
# Idle connections are dropped before uvicorn's keep-alive timeout (5 s) closes them: a request
# sent on a socket the server is closing fails and is sent again, a slow outlier in the figures.
KEEPALIVE_EXPIRY = 2.0


class LeanClient:
    """`get/put/post/delete(path, params=, json=)` as httpx's, on a pool of connections."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: list[tuple[Connection, float]] = []  # with the time it was last used

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for (_, writer), _ in self.idle:
            writer.close()
        self.idle.clear()

    async def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None
    ) -> Response:
        target = f"{path}?{urlencode(params)}" if params else path
        body = jsonlib.dumps(json).encode() if json is not None else b""
        head = f"{method} {target} HTTP/1.1\r\nhost: {self.host}\r\ncontent-length: {len(body)}\r\n"
        if json is not None:
            head += "content-type: application/json\r\n"
        payload = head.encode() + b"\r\n" + body
        reader, writer = self._reusable() or await self._connect()
        try:
            writer.write(payload)
            status, keep, content = await self._read(reader)
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()
            raise
        if keep:
            self.idle.append(((reader, writer), time.monotonic()))
        else:
            writer.close()
        return Response(status, content)

    def _reusable(self) -> Connection | None:
        """The most recently used idle connection, closing those idle for too long."""
        while self.idle:
            connection, used = self.idle.pop()
            if time.monotonic() - used < KEEPALIVE_EXPIRY:
                return connection
            connection[1].close()
        return None

    async def _connect(self) -> Connection:
        return await asyncio.open_connection(self.host, self.port)

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        keep = headers.get("connection", "").lower() != "close"
        if "content-length" in headers:
            return status, keep, await reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16):
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            await reader.readuntil(b"\r\n")  # the end of the (empty) trailer
            return status, keep, b"".join(chunks)
        return status, False, await reader.read()  # framed by closing the connection

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Response:
        return await self.request("GET", path, params)

    async def delete(self, path: str, params: dict[str, Any] | None = None) -> Response:
        return await self.request("DELETE", path, params)

    async def put(
        self, path: str, json: Any = None, params: dict[str, Any] | None = None
    ) -> Response:
        return await self.request("PUT", path, params, json)

    async def post(
        self, path: str, json: Any = None, params: dict[str, Any] | None = None
    ) -> Response:
        return await self.request("POST", path, params, json)
