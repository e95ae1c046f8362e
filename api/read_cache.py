"""A small cache for hot public reads (the leaderboard), invalidated by every successful write.

Each successful request to a route that depends on `invalidates_reads` (results, registrations,
retirements) bumps a generation counter once its response starts, after the handler's commit; and
a cached body is served only while the generation it was computed at is current and it is younger
than `ttl_s`. The generation is read before the data, so an entry is never older than its key says.

On SQLite the server is the database's one writer, so that is all. On PostgreSQL several server
processes may share the database: `InvalidateOnWrite` then also announces each write to the others
before the answer goes out (`league.core.change_notices`), each process bumps its generation when it
hears one, and while a process cannot hear them (`set_listening(False)`) it caches nothing; `ttl_s`
still bounds how stale a body can get should a notice be lost.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Hashable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ReadCache:
    """Response bodies by key, valid for one write generation and at most `ttl_s` seconds."""

    def __init__(self, ttl_s: float = 1.0) -> None:
        self.ttl_s = ttl_s
        self.generation = 0
        self.listening = True  # False: other processes' writes cannot be heard, so nothing is served
        self._entries: dict[Hashable, tuple[int, float, bytes]] = {}
        self._lock = threading.Lock()
        self._pending: dict[tuple[Hashable, int], asyncio.Future[bytes]] = {}

    def bump(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def set_listening(self, listening: bool) -> None:
        """Whether writes of other processes are heard; either way what is cached now may be stale."""
        with self._lock:
            self.listening = listening
            self.generation += 1
            self._entries.clear()

    def get(self, key: Hashable) -> bytes | None:
        """The body cached for `key` if it is still valid."""
        entry = self._entries.get(key)
        if (entry is not None and self.listening and entry[0] == self.generation
                and time.monotonic() - entry[1] < self.ttl_s):
            return entry[2]
        return None

    def put(self, key: Hashable, generation: int, body: bytes) -> None:
        """Store `body`, computed from data read after `generation` was current (dropped if stale)."""
        with self._lock:
            if generation == self.generation and self.listening:
                self._entries[key] = (generation, time.monotonic(), body)

    async def get_or_compute(self, key: Hashable, compute: Callable[[], bytes]) -> bytes:
        """The cached body for `key`, or `compute()`'s, run in the thread pool (it reads the database).

        Concurrent misses of one key share a single computation instead of each running the query.
        """
        body = self.get(key)
        if body is not None:
            return body
        generation = self.generation
        pending = self._pending.get((key, generation))
        if pending is None:
            pending = asyncio.ensure_future(run_in_threadpool(compute))
            self._pending[(key, generation)] = pending
            pending.add_done_callback(lambda _: self._pending.pop((key, generation), None))
        body = await asyncio.shield(pending)
        self.put(key, generation, body)
        return body


def invalidates_reads(request: Request) -> None:
    """Route dependency: a successful answer of this route makes cached reads stale."""
    request.state.invalidates_reads = True


class InvalidateOnWrite:
    """ASGI middleware: a successful (status < 400) answer of a route marked by `invalidates_reads`
    bumps the cache's generation, and calls `announce` (in a thread) before the answer is sent."""

    def __init__(self, app: ASGIApp, cache: ReadCache, announce: Callable[[], None] | None = None) -> None:
        self.app = app
        self.cache = cache
        self.announce = announce

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def watching_send(message: Message) -> None:
            if (message["type"] == "http.response.start" and message["status"] < 400
                    and scope.get("state", {}).get("invalidates_reads")):
                self.cache.bump()
                if self.announce is not None:
                    await run_in_threadpool(self.announce)
            await send(message)

        await self.app(scope, receive, watching_send)
