"""Writes are authenticated before a byte of their body is read, and rate-limited per token.

FastAPI reads and parses a body before a route's dependencies (where roles are checked) run, so
a request without a valid token could make the server read and parse megabytes. This ASGI
middleware acts first, on every request whose method writes (anything but GET, HEAD, OPTIONS):

- with a body but no bearer token, or with a token that is not valid, it answers 401 at once and
  closes the connection, the body unread; the token is checked by the league core
  (`verify_token`) in a thread of its own small pool, so the event loop never waits on the database;
- a valid token takes one write from its bucket (`api.rate_limit.TokenBuckets`); when the bucket is
  empty the answer is 429 with `Retry-After`;
- a write without a body and without a token goes on to its route, which answers 401, 404 or 405.

The route still checks the token's role (403); the verified token is left in the request's state
as `verified_token`.
"""

from __future__ import annotations

import hashlib

import anyio
import anyio.to_thread
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.body_limit import declared_length, send_json_error
from api.deps import token_refused
from api.rate_limit import TokenBuckets
from league.core.errors import InvalidToken
from league.core.schemas import TokenInfo
from league.core.tokens import verify_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
AUTH_THREADS = 4  # token checks at once; they are one indexed query each
MISSING_TOKEN = "this request needs a bearer token: send `Authorization: Bearer <token>`"
CHALLENGE = [(b"www-authenticate", b"Bearer")]


def bearer_token(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if there is one."""
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            return token.strip() or None
    return None


def has_body(scope: Scope) -> bool:
    """Whether the request says a body follows (a non-zero length, or a chunked body)."""
    length = declared_length(scope)
    if length is not None:
        return length > 0
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in scope.get("headers") or ())


class WriteGate:
    """ASGI middleware: authenticate and rate-limit writes before their bodies are read."""

    def __init__(self, app: ASGIApp, sessions: sessionmaker[Session], admin_token: str | None,
                 buckets: TokenBuckets) -> None:
        self.app = app
        self.sessions = sessions
        self.admin_token = admin_token
        self.buckets = buckets
        self._limiter: anyio.CapacityLimiter | None = None

    def _verify(self, token: str) -> TokenInfo:
        with self.sessions() as session:
            return verify_token(session, token, admin_token=self.admin_token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        token, body = bearer_token(scope), has_body(scope)
        if token is None:
            if body:
                await send_json_error(send, 401, MISSING_TOKEN, CHALLENGE)
                return
            await self.app(scope, receive, send)
            return
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(AUTH_THREADS)
        try:
            info = await anyio.to_thread.run_sync(self._verify, token, limiter=self._limiter)
        except InvalidToken as error:
            message = token_refused(error, str(Request(scope).base_url), scope["app"].state.settings)
            await send_json_error(send, 401, message, CHALLENGE, close=body)
            return
        wait = self.buckets.take(hashlib.sha256(token.encode()).hexdigest())
        if wait:
            await send_json_error(
                send, 429, f"too many writes with this token: at most {self.buckets.rate_per_s:g} a second "
                f"(bursts of {self.buckets.burst}; LEAGUE_WRITE_RATE_PER_S, LEAGUE_WRITE_BURST); retry later",
                [(b"retry-after", TokenBuckets.retry_after(wait).encode())], close=body)
            return
        scope.setdefault("state", {})["verified_token"] = info
        await self.app(scope, receive, send)
