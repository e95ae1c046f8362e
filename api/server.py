"""How `league serve` runs the app: uvicorn with time-outs on every phase of a connection.

uvicorn alone keeps a connection open for as long as the client likes while it sends nothing, or
sends its headers or body a byte at a time (its keep-alive time-out only starts after an answer).
`GuardedH11Protocol` adds the missing time-outs to uvicorn's h11 protocol:

- a new connection must deliver a request's headers within `header_timeout_s`, and so must a
  kept-alive one from the first byte of its next request (while it is idle, uvicorn's
  keep-alive time-out applies);
- once the headers are in, the whole body must arrive within `body_timeout_s`;
- a request's head (request line and headers) may be at most `max_header_bytes`, answered 431.

When one runs out the client gets `408 Request Timeout` (unless an answer has begun) and the
connection is closed; the application sees the client go away. `server_config` adds the rest of
the limits from the settings: open connections (`max_connections`; a request on a connection
beyond them is answered 503), the keep-alive time-out and the largest request head.

`serve` runs one process. `serve_workers` runs several (for PostgreSQL): the parent binds the
listening socket and supervises, uvicorn's multiprocess supervisor spawns the workers, which share
the socket, and each worker builds its own app and guarded protocol from the settings, so every
limit above holds in each worker, that is per process. The parent replaces a worker that dies,
stops them all (SIGTERM, then waits) on SIGTERM or SIGINT, and restarts them one by one on SIGHUP.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors.multiprocess import Multiprocess

from league.core.settings import Settings

log = logging.getLogger("league.api.server")
SWITCH_INTERVAL_S = 0.001  # measured: health worst 310 ms with it, 330-420 ms with the default 5 ms
# How long the parent waits for a worker to answer its health ping before it replaces the worker; a
# worker answers from a thread of its own as soon as it runs, also while it imports and builds the app.
WORKER_HEALTHCHECK_S = 30


def _closing_answer(status: bytes, detail: str) -> bytes:
    body = json.dumps({"detail": detail}).encode()
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for a request's headers and one for its body, and a
    cap on the size of a request's head (h11's own cap counts only a head that arrives in pieces)."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 120.0
    max_header_bytes: int = 16 * 1024

    _phase: str | None = None
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._enter("headers")  # a connection that sends nothing is closed too

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and self._head_too_large(data):
            self._enter(None)
            self.transport.write(_closing_answer(b"431 Request Header Fields Too Large",
                                                 f"the request's head is larger than {self.max_header_bytes} bytes"))
            self.transport.close()
            return
        super().data_received(data)
        self._follow()

    def _head_too_large(self, data: bytes) -> bool:
        head = self.conn.trailing_data[0] + data
        end = head.find(b"\r\n\r\n", 0, self.max_header_bytes + 4)
        return (len(head) if end < 0 else end + 4) > self.max_header_bytes

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
            self.transport.write(_closing_answer(b"408 Request Timeout",
                                                 f"the request's {phase} did not arrive within {seconds:g} s"))
        self.transport.close()


def guarded_protocol(header_timeout_s: float, body_timeout_s: float, max_header_bytes: int
                     ) -> type[GuardedH11Protocol]:
    """`GuardedH11Protocol` with these limits."""
    return type("LeagueH11Protocol", (GuardedH11Protocol,),
                {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s,
                 "max_header_bytes": max_header_bytes})


def _limits(settings: Settings) -> dict:
    """uvicorn's options for the connection limits of `settings` (all but the guarded protocol's)."""
    return {
        "limit_concurrency": settings.max_connections + 1,  # uvicorn counts the asking connection too
        "timeout_keep_alive": settings.keep_alive_s,  # used as a float
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }


def server_config(app: FastAPI, settings: Settings, *, host: str, port: int, log_level: str = "info"
                  ) -> uvicorn.Config:
    """uvicorn's configuration for the league server in one process (on SQLite the server is the
    database's only writer) and every connection limit of `settings`."""
    return uvicorn.Config(
        app, host=host, port=port, workers=1, log_level=log_level,
        http=guarded_protocol(settings.header_timeout_s, settings.body_timeout_s, settings.max_header_bytes),
        **_limits(settings),
    )


def serve(app: FastAPI, settings: Settings, *, host: str, port: int, log_level: str = "info") -> None:
    """Run the server until it is stopped. The interpreter hands its lock to a waiting thread after
    `SWITCH_INTERVAL_S` rather than 5 ms, so the event loop (health checks, claims) gets its turn
    quickly while request threads render pages."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    uvicorn.Server(server_config(app, settings, host=host, port=port, log_level=log_level)).run()


class WorkersFailed(RuntimeError):
    """A worker process could not start (it could not build the app, say): the others were stopped."""


class WorkerConfig(uvicorn.Config):
    """uvicorn's configuration for one of several worker processes. It is pickled to each spawned worker,
    so it carries only the settings; `load`, in the worker, builds the guarded protocol and the app
    (`create_app(settings, upgrade_schema=False)`: the parent upgraded the schema once)."""

    def __init__(self, settings: Settings, **options) -> None:
        self.settings = settings
        super().__init__(None, http=GuardedH11Protocol, timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
                         **_limits(settings), **options)

    def load(self) -> None:
        from api.app import create_app  # here, in the worker: imported after its health thread runs

        settings = self.settings
        self.http = guarded_protocol(settings.header_timeout_s, settings.body_timeout_s, settings.max_header_bytes)
        try:
            self.app = create_app(settings, upgrade_schema=False)
        except Exception:
            log.exception("a worker process could not build the app")
            sys.exit(STARTUP_FAILURE)  # the parent stops instead of restarting it again and again
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        super().load()


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (as uvicorn binds one), for the workers to share; OSError if the
    address is taken or not ours."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve_workers(settings: Settings, *, workers: int, host: str, port: int, log_level: str = "info") -> None:
    """Run `workers` server processes on one listening socket until the parent is stopped (SIGTERM,
    SIGINT); raises `WorkersFailed` when a worker could not start."""
    config = WorkerConfig(settings, host=host, port=port, workers=workers, log_level=log_level)
    sock = listening_socket(host, port)
    address = f"[{host}]" if ":" in host else host
    logging.getLogger("uvicorn.error").info("serving on http://%s:%d with %d worker processes",
                                            address, sock.getsockname()[1], workers)
    supervisor = Multiprocess(config, sockets=[sock])
    try:
        supervisor.run()
    finally:
        sock.close()
    failed = [process.pid for process in supervisor.processes if process.exitcode == STARTUP_FAILURE]
    if failed:
        raise WorkersFailed(f"worker process {failed[0]} could not start (its log is above); all were stopped")
