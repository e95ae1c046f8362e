"""The audit log of writes: who (user, token, role), what (method, path, the answer's status), when.

`AuditWrites` is ASGI middleware. For every request that writes (any method but GET, HEAD and
OPTIONS) under `/api/` and whose bearer token was accepted (`api.deps.get_caller` leaves the caller
in the request's state), it adds an entry through the league core (`league.core.audit`) before the
answer's first byte is sent, so a write the client saw answered is in the log; refusals (403, 409,
422) are logged too. Requests without a valid token are not: they changed nothing and name nobody.

A route may leave `audit_detail` (a short text, e.g. the snapshot a registration made) in the
request's state, or `audit_skip = True` for a routine write that is no news: a lease heartbeat, a
claim that found no job.
"""

from __future__ import annotations

import logging

import anyio.to_thread
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from league.core.audit import record_write

log = logging.getLogger("league.api")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AuditWrites:
    """ASGI middleware: one audit entry per authenticated write, recorded before the answer is sent."""

    def __init__(self, app: ASGIApp, sessions: sessionmaker[Session]) -> None:
        self.app = app
        self.sessions = sessions

    def _record(self, scope: Scope, status: int) -> None:
        state = scope.get("state") or {}
        caller = state.get("caller")
        if caller is None or state.get("audit_skip"):
            return
        try:
            with self.sessions() as session:
                record_write(session, action=f"{scope['method']} {scope['path']}", status=status, role=caller.role,
                             user=caller.user, token_id=caller.token_id, detail=str(state.get("audit_detail", "")))
        except Exception:  # the write itself is done: never turn its answer into an error
            log.exception("could not record the audit entry of %s %s", scope["method"], scope["path"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def audited_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                await anyio.to_thread.run_sync(self._record, scope, message["status"])
            await send(message)

        await self.app(scope, receive, audited_send)
