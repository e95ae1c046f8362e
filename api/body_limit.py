"""Caps on request bodies, per route, enforced while the body streams in (before any parsing).

Only weights uploads are large; every other body is JSON with a small cap of its route
(`body_limits(settings)`: results with their game records, training metrics, and a default for
the rest). Multipart parsing spools an upload completely before a handler sees it, and JSON is
parsed before a route's dependencies run, so the cap must act earlier: this ASGI middleware
refuses a declared `Content-Length` over the cap at once, and otherwise counts bytes as they
arrive, answering 413 the moment the cap is passed and telling the application the client went
away. Either way the connection is closed, so the rest of the body is never read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from league.core.settings import Settings

MULTIPART_OVERHEAD_BYTES = 1 << 20  # the `meta` part, boundaries and part headers of an upload


@dataclass(frozen=True)
class RouteLimit:
    """The body cap of the requests whose method is `method` and whose path matches `path`."""

    method: str
    path: re.Pattern[str]
    max_bytes: int
    setting: str  # the setting that sets it, named in the 413's message


@dataclass(frozen=True)
class BodyLimits:
    """The cap of each route with a large body, and `default_bytes` for every other request."""

    routes: tuple[RouteLimit, ...]
    default_bytes: int

    def for_request(self, method: str, path: str) -> tuple[int, str]:
        """The cap of a request and the setting that sets it."""
        for route in self.routes:
            if route.method == method and route.path.match(path):
                return route.max_bytes, route.setting
        return self.default_bytes, "LEAGUE_JSON_MAX_BYTES"


def body_limits(settings: Settings) -> BodyLimits:
    """The league's caps: weights uploads, match results, training metrics, and small JSON for the rest."""
    return BodyLimits(
        routes=(
            RouteLimit("POST", re.compile(r"^/api/opponents/?$"), settings.upload_max_bytes + MULTIPART_OVERHEAD_BYTES,
                       "LEAGUE_UPLOAD_MAX_BYTES"),
            RouteLimit("POST", re.compile(r"^/api/jobs/[^/]+/result$"), settings.result_max_bytes,
                       "LEAGUE_RESULT_MAX_BYTES"),
            RouteLimit("POST", re.compile(r"^/api/jobs/results$"), settings.result_max_bytes,
                       "LEAGUE_RESULT_MAX_BYTES"),
            RouteLimit("POST", re.compile(r"^/api/agents/.+/metrics$"), settings.metrics_max_bytes,
                       "LEAGUE_METRICS_MAX_BYTES"),
        ),
        default_bytes=settings.json_max_bytes,
    )


def declared_length(scope: Scope) -> int | None:
    """The request's `Content-Length` when it is a plain number."""
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            return int(value) if value.isdigit() and len(value) < 20 else None
    return None


class BodyLimitMiddleware:
    """Answer 413 to any request whose body exceeds its route's cap."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, setting = self.limits.for_request(scope["method"], scope["path"])
        declared = declared_length(scope)
        if declared is not None and declared > max_bytes:
            await refuse_too_large(send, max_bytes, setting)
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
                if received > max_bytes:
                    refused = True
                    if not response_started:
                        await refuse_too_large(send, max_bytes, setting)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # our 413 has been sent; drop whatever the app answers to the disconnect
            response_started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)


async def send_json_error(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None,
                          *, close: bool = True) -> None:
    """Answer `{"detail": detail}` with `status`; with `close`, the connection is closed afterwards
    (the request's body, unread, is never read)."""
    body = json.dumps({"detail": detail}).encode()
    extra = [(b"connection", b"close")] if close else []
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    *extra, *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})


async def refuse_too_large(send: Send, max_bytes: int, setting: str) -> None:
    await send_json_error(send, 413, f"the request body is larger than this route's limit of {max_bytes} bytes "
                          f"({max_bytes / 2**20:.2f} MiB, {setting})")
