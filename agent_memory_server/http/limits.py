"""The request body limit (MAX_REQUEST_BYTES) as pure ASGI middleware."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestTooLarge(HTTPException):
    """A request body over MAX_REQUEST_BYTES (an HTTPException, so that FastAPI's body reading
    lets it through as it is and its handler answers 413 with this `detail`)."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        said = f"is {size} bytes" if size is not None else "is longer"
        super().__init__(
            413,
            f"The request body {said}; this server accepts at most {limit} bytes. Send less "
            "(fewer messages or memories per request), or raise MAX_REQUEST_BYTES on the server.",
        )


class BodySizeLimit:
    """Refuses bodies over `max_bytes` with 413: at once when Content-Length says so, else as
    soon as the streamed (e.g. chunked) bytes pass the limit. Nothing is buffered here: the
    app reads the body as usual, through a receive that counts."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _reject(RequestTooLarge(self.max_bytes, int(length)), scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLarge(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except RequestTooLarge as e:  # read by something that does not answer HTTPExceptions
            if started:
                raise
            await _reject(e, scope, receive, send)


async def _reject(error: RequestTooLarge, scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"detail": error.detail}, status_code=error.status_code)
    await response(scope, receive, send)
