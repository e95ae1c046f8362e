"""Change notices between server processes that share one PostgreSQL database (LISTEN/NOTIFY).

A process that caches reads (`api.read_cache`) knows when its own writes make them stale, but not
when another process's do. `ChangeNotices` tells every process: `announce()` sends a `NOTIFY` on
the `league_reads` channel once a write has committed, and a listener thread, on a connection of
its own, calls `on_change` for every notice another process sent. While that connection is down
nothing can be heard, so `on_listening(False)` says so (the cache then serves nothing from memory)
and the thread reconnects every `retry_s`; `on_listening(True)` follows each (re)connection, after
which everything cached before must be dropped (notices sent meanwhile are lost).

A notice carries its sender's `origin` (random per instance), so a process ignores its own. SQLite
needs none of this: there the server is the database's only writer.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("league.core.change_notices")

CHANNEL = "league_reads"
APPLICATION_NAME = "league change notices"  # with the origin: the listener's name in pg_stat_activity
POLL_S = 0.25  # how often the listener looks up from waiting, to notice `stop()`
CONNECT_TIMEOUT_S = 5


def supports_notices(engine: Engine) -> bool:
    """Whether the engine's database can carry change notices (PostgreSQL)."""
    return engine.url.get_backend_name() == "postgresql"


class ChangeNotices:
    """Send and hear notices that data changed, over the PostgreSQL database `engine` names."""

    def __init__(self, engine: Engine, *, on_change: Callable[[], None], on_listening: Callable[[bool], None],
                 channel: str = CHANNEL, retry_s: float = 1.0) -> None:
        self.engine = engine
        self.on_change = on_change
        self.on_listening = on_listening
        self.channel = channel
        self.retry_s = retry_s
        self.origin = secrets.token_hex(8)
        self.listening = False
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def announce(self) -> None:
        """Tell the other processes that data changed (call it after the write committed). Blocks for one
        round trip to the database; a failure is logged, not raised: the others then see the change when
        their cached copies expire."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT pg_notify(:channel, :origin)"),
                                   {"channel": self.channel, "origin": self.origin})
                connection.commit()
        except SQLAlchemyError as error:
            log.warning("could not announce a change on %s: %s", self.channel, error)

    def start(self) -> None:
        """Start listening in a daemon thread; until it is connected, `on_listening(False)` holds."""
        if self._thread is not None:
            return
        self.on_listening(False)
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen, name="league-change-notices", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop listening and wait for the thread (at most `timeout_s`)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                # TCP keep-alives notice a dead peer within about 10 + 3 * 5 s even when no packet says so
                with psycopg.connect(self._dsn, autocommit=True, application_name=f"{APPLICATION_NAME} {self.origin}",
                                     connect_timeout=CONNECT_TIMEOUT_S, keepalives=1, keepalives_idle=10,
                                     keepalives_interval=5, keepalives_count=3) as connection:
                    connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self._set_listening(True)
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=POLL_S):
                            if notice.payload != self.origin:
                                self.on_change()
            except psycopg.Error as error:
                if not self._stop.is_set():
                    log.warning("not hearing change notices on %s (retrying in %g s): %s",
                                self.channel, self.retry_s, error)
            finally:
                self._set_listening(False)
            self._stop.wait(self.retry_s)

    def _set_listening(self, listening: bool) -> None:
        if listening != self.listening:
            self.listening = listening
            self.on_listening(listening)
