"""`GET /api/health`: the server is up, its database answers, and which schema and game it runs.

The check must stay fast while the server is busy: it runs on the event loop, never waits for
the public reads' turn (`api.read_limit`), and asks the database at most once per
`PROBE_CACHE_S` seconds (in a thread of its own; concurrent checks share one probe).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import anyio
import anyio.to_thread
from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.errors import ErrorBody
from league.core.game import GAME_VERSION
from league.core.schemas import Health

router = APIRouter(prefix="/api", tags=["health"])

PROBE_CACHE_S = 0.5


@dataclass
class Probe:
    """The database's last answer: its schema revision, or the error's name."""

    at: float
    revision: str | None = None
    error: str | None = None


class HealthProbe:
    """Asks the database (in its own thread) at most once per `PROBE_CACHE_S`; callers share one probe."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self.last: Probe | None = None
        self._pending: asyncio.Future[Probe] | None = None
        self._limiter: anyio.CapacityLimiter | None = None

    def _ask(self) -> Probe:
        try:
            with self.sessions() as session:
                session.execute(text("SELECT 1"))
                revision = MigrationContext.configure(session.connection()).get_current_revision()
            return Probe(at=time.monotonic(), revision=revision)
        except SQLAlchemyError as error:
            return Probe(at=time.monotonic(), error=type(error).__name__)

    async def current(self) -> Probe:
        if self.last is not None and time.monotonic() - self.last.at < PROBE_CACHE_S:
            return self.last
        if self._pending is None:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(1)
            self._pending = asyncio.ensure_future(anyio.to_thread.run_sync(self._ask, limiter=self._limiter))
        pending = self._pending
        try:
            self.last = await asyncio.shield(pending)
        finally:
            if self._pending is pending and pending.done():
                self._pending = None
        return self.last


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": ErrorBody, "description": "The database cannot be reached"}},
)
async def health(request: Request):
    """Whether the server and its database are up, the schema revision and the game version."""
    probe = await request.app.state.health_probe.current()
    if probe.error is not None:
        return JSONResponse(status_code=503, content={"detail": f"the database cannot be reached: {probe.error}"})
    return Health(status="ok", database="ok", schema_version=probe.revision, game_version=GAME_VERSION)
