"""How `league serve` runs the app: uvicorn with time-outs on every phase of a connection.

uvicorn alone keeps a connection open for as long as the client likes while it sends nothing, or
sends its headers or body a byte at a time (its keep-alive time-out only starts after an answer).
`GuardedH11Protocol` adds the missing time-outs to uvicorn's h11 protocol:

- a new connection must deliver a request's headers within `header_timeout_s`, and so must a
  kept-alive one from the first byte of its next request (while it is idle, uvicorn's
  keep-alive time-out applies);
- once the headers are in, the whole body must arrive within `body_timeout_s`.

When one runs out the client gets `408 Request Timeout` (unless an answer has begun) and the
connection is closed; the application sees the client go away. `server_config` adds the rest of
the limits from the settings: open connections (`max_connections`; a request on a connection
beyond them is answered 503), the keep-alive time-out and the largest request head.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from league.core.settings import Settings

log = logging.getLogger("league.api.server")
SWITCH_INTERVAL_S = 0.001


def _timeout_answer(what: str, seconds: float) -> bytes:
    body = json.dumps({"detail": f"the request's {what} did not arrive within {seconds:g} s"}).encode()
    return (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for a request's headers and one for its body."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 120.0

    _phase: str | None = None
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._enter("headers")  # a connection that sends nothing is closed too

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._enter(None)
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Arm the deadline of the phase the client is in: sending headers, sending a body, or neither."""
        if self.transport.is_closing():
            self._enter(None)
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._enter("body")
        elif state is h11.IDLE and (self._phase == "headers" or self.conn.trailing_data[0]):
            self._enter("headers")  # part of a request head is in (or nothing since the connection opened)
        else:
            self._enter(None)  # waiting for our answer, or idle between requests (keep-alive applies)

    def _enter(self, phase: str | None) -> None:
        if phase == self._phase:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            seconds = self.header_timeout_s if phase == "headers" else self.body_timeout_s
            self._deadline = self.loop.call_later(seconds, self._expire, phase, seconds)

    def _expire(self, phase: str, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        log.debug("closing %s: its request %s took longer than %g s", self.client, phase, seconds)
        if phase == "headers" or (self.cycle is not None and not self.cycle.response_started):
            self.transport.write(_timeout_answer("headers" if phase == "headers" else "body", seconds))
        self.transport.close()


def guarded_protocol(header_timeout_s: float, body_timeout_s: float) -> type[GuardedH11Protocol]:
    """`GuardedH11Protocol` with these deadlines."""
    return type("LeagueH11Protocol", (GuardedH11Protocol,),
                {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s})


def server_config(app: FastAPI, settings: Settings, *, host: str, port: int, log_level: str = "info"
                  ) -> uvicorn.Config:
    """uvicorn's configuration for the league server: one worker (on SQLite the server is the
    database's only writer) and every connection limit of `settings`."""
    return uvicorn.Config(
        app, host=host, port=port, workers=1, log_level=log_level,
        http=guarded_protocol(settings.header_timeout_s, settings.body_timeout_s),
        limit_concurrency=settings.max_connections + 1,  # uvicorn counts the asking connection too
        timeout_keep_alive=settings.keep_alive_s,  # type: ignore[arg-type]  # used as a float
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )


def serve(app: FastAPI, settings: Settings, *, host: str, port: int, log_level: str = "info") -> None:
    """Run the server until it is stopped. The interpreter hands its lock to a waiting thread after
    `SWITCH_INTERVAL_S` rather than 5 ms, so the event loop (health checks, claims) gets its turn
    quickly while request threads render pages."""
    sys.setswitchinterval(float(os.environ.get("LEAGUE_SWITCH", SWITCH_INTERVAL_S)))
    uvicorn.Server(server_config(app, settings, host=host, port=port, log_level=log_level)).run()
