"""Public reads take turns, so that many readers of heavy pages cannot starve the server.

Reads are public and pages of a large league take tens of milliseconds of CPU each. Sync handlers
run in a pool of 40 threads that share one interpreter lock: with 40 pages rendering at once,
everything else (`/api/health`, a worker's claim) waits behind them. This ASGI middleware lets at
most `concurrency` GET/HEAD requests be computed at once; the others wait their turn, in order, and
when more than `queue` are waiting a new one is answered 503 with `Retry-After`. A request's turn
ends when its answer starts (the work is done then; sending it to a slow client costs nothing).

`/api/health` and `/static/` never wait: the health check must answer while the server is busy,
and static files are read from disk without the database. Writes are limited per token instead
(`api.write_gate`).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.body_limit import send_json_error

EXEMPT_PREFIXES = ("/api/health", "/static/")


class ReadLimiter:
    """ASGI middleware: at most `concurrency` public reads at once, at most `queue` waiting."""

    def __init__(self, app: ASGIApp, concurrency: int, queue: int) -> None:
        self.app = app
        self.concurrency = concurrency
        self.queue = queue
        self.waiting = 0
        self._semaphore: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")
                or scope["path"].startswith(EXEMPT_PREFIXES)):
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        semaphore = self._semaphore
        if semaphore.locked() and self.waiting >= self.queue:
            await send_json_error(send, 503, f"the server is busy: {self.waiting} reads are waiting already; "
                                  "retry in a moment", [(b"retry-after", b"1")], close=False)
            return
        self.waiting += 1
        try:
            await semaphore.acquire()
        finally:
            self.waiting -= 1
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                semaphore.release()

        async def releasing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, releasing_send)
        finally:
            release()
