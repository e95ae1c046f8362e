"""A cap on request bodies, enforced while the body streams in (before any parsing).

Multipart parsing spools an upload completely before a handler sees it, so the weights
cap must act earlier: this ASGI middleware refuses a declared `Content-Length` over the cap
at once, and otherwise counts bytes as they arrive, answering 413 the moment the cap is
passed and telling the application the client went away.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_OVERHEAD_BYTES = 1 << 20  # the `meta` part, boundaries and part headers of an upload


class BodyLimitMiddleware:
    """Answer 413 to any request whose body exceeds `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        refused = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not response_started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # our 413 has been sent; drop whatever the app answers to the disconnect
            response_started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({
            "detail": f"the request body is larger than the server's limit of {self.max_bytes} bytes "
            f"({self.max_bytes / 2**20:.1f} MiB); weights uploads are capped by LEAGUE_UPLOAD_MAX_BYTES"
        }).encode()
        await send({
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})
