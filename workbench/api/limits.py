"""Request body size limit, enforced before any route reads the body.

A pure ASGI middleware: a declared `Content-Length` over the limit is refused at once; a body
without one (chunked) is read up to the limit and refused as soon as it goes over, so a client
cannot make the server hold more than `max_bytes` of its body in memory.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimit", "DEFAULT_MAX_BODY_BYTES"]

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await self._refuse(send, "the Content-Length header is not a number", 400, "bad-content-length")
            return
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send, f"the request body has {declared:,} bytes; the limit is {self.max_bytes:,}")
            return
        # Read the whole body (at most max_bytes) before the app sees it, then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(send, f"the request body is larger than the limit of {self.max_bytes:,} bytes")
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, message: str, status: int = 413, code: str = "body-too-large") -> None:
        body = json.dumps({"problems": [{
            "code": code, "message": message, "file": None, "row": None, "customer_id": None,
            "fix": "send a smaller request" if status == 413 else "send a valid Content-Length", "severity": "error",
        }]}).encode()
        headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json"),
                                              (b"content-length", str(len(body)).encode()),
                                              (b"connection", b"close")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    """The declared length, None when absent, -1 when not a number."""
    headers: Any = scope.get("headers") or []
    for name, value in headers:
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else -1
    return None
