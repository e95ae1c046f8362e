"""A live league with an agent gateway: a real `league serve`, a real `league gateway` process, and
remote clients (in-process threads or `league connect` processes) over real sockets on 127.0.0.1.

Used by tests/gateway/ and benchmarks that need the whole path. The gateway's settings come from
`LEAGUE_GATEWAY_*` variables (short deadlines for tests).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from league.remote.client import ClientStats, play
from tests.support.live_server import LiveServer, free_port, start_server, stop_server

ADMIN = "remote-admin-token-Qw7Er4Ty1Ui8Op5As2Df9Gh3"
FAST_GATEWAY = {
    "LEAGUE_GATEWAY_STEP_DEADLINE_S": "0.5",
    "LEAGUE_GATEWAY_TIME_BANK_S": "2.0",
    "LEAGUE_GATEWAY_POLL_S": "0.2",
    "LEAGUE_GATEWAY_MATCHES_PER_AGENT": "2",
    "LEAGUE_GATEWAY_HELLO_TIMEOUT_S": "1.0",
    "LEAGUE_GATEWAY_MAX_FRAME_BYTES": "65536",
    "LEAGUE_GATEWAY_MAX_CONNECTIONS_PER_USER": "3",
}


@dataclass
class RemoteLeague:
    server: LiveServer
    gateway: subprocess.Popen
    gateway_url: str
    gateway_log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)

    def user_token(self, user: str) -> str:
        """A trainer token of `user` (made with the user the first time)."""
        if user not in self.tokens:
            with self.admin() as admin:
                admin.post("/api/users", json={"name": user})
                made = admin.post("/api/tokens", json={"name": f"{user}-remote", "role": "trainer", "user": user})
                made.raise_for_status()
                self.tokens[user] = made.json()["plaintext"]
        return self.tokens[user]

    def log(self) -> str:
        return self.gateway_log.read_text(errors="replace") if self.gateway_log.exists() else ""


def _wait_listening(port: int, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"league gateway exited with {process.returncode}:\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"league gateway did not listen within {timeout:.0f} s:\n{log.read_text()}")


@contextmanager
def remote_league(data_dir: Path, *, server_env: dict[str, str] | None = None,
                  gateway_env: dict[str, str] | None = None) -> Iterator[RemoteLeague]:
    port = free_port()
    gateway_url = f"ws://127.0.0.1:{port}"
    env = {"LEAGUE_GATEWAY_URL": gateway_url, "LEAGUE_QUEUE_TARGET": "0", "LEAGUE_GAMES_PER_MATCH": "2",
           "LEAGUE_REMOTE_ONLINE_SECONDS": "6", **(server_env or {})}
    server = start_server(data_dir, ADMIN, extra_env=env)
    gateway = None
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN}"}) as admin:
            made = admin.post("/api/tokens", json={"name": "gateway", "role": "worker", "user": "admin"})
            made.raise_for_status()
            token = made.json()["plaintext"]
        log = data_dir / "gateway.log"
        genv = {**os.environ, **FAST_GATEWAY, **(gateway_env or {}), "LEAGUE_SERVER_URL": server.url,
                "LEAGUE_TOKEN": token, "LEAGUE_GATEWAY_PORT": str(port), "LEAGUE_DATA_DIR": str(data_dir)}
        with open(log, "ab") as out:
            gateway = subprocess.Popen([sys.executable, "-m", "league", "gateway"], env=genv, stdout=out,
                                       stderr=subprocess.STDOUT)
        _wait_listening(port, gateway, log)
        yield RemoteLeague(server=server, gateway=gateway, gateway_url=gateway_url, gateway_log=log)
    finally:
        if gateway is not None and gateway.poll() is None:
            gateway.terminate()
            try:
                gateway.wait(timeout=15)
            except subprocess.TimeoutExpired:
                gateway.kill()
                gateway.wait()
        stop_server(server)


class ClientThread(threading.Thread):
    """A remote client (`league.remote.client.play`) on its own event loop, until `stop()`."""

    def __init__(self, url: str, token: str, agent: str, version: str, policy: Any, **options: Any):
        super().__init__(daemon=True)
        self.url, self.token, self.agent, self.version, self.policy = url, token, agent, version, policy
        self.options = options
        self.stats = ClientStats()
        self.lines: list[str] = []
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None

    def run(self) -> None:
        async def main() -> None:
            self._loop, self._stop_event = asyncio.get_running_loop(), asyncio.Event()
            await play(self.url, token=self.token, agent=self.agent, version=self.version, policy=self.policy,
                       log=self.lines.append, stop=self._stop_event, stats=self.stats, **self.options)

        try:
            asyncio.run(main())
        except BaseException as error:  # noqa: BLE001 (the test reads it)
            self.error = error

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._stop_event is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop_event.set)
        self.join(timeout)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2, what: str = "the condition"):
    """Poll `predicate()` until it returns something truthy; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
