"""Start a real `league serve` process on 127.0.0.1 and stop it again.

Used by the tests that talk to a real server over TCP and by `benchmarks/api_load.py`:
a free port, a data directory of the caller's choosing, the bootstrap admin token in the
environment, and a wait for `/api/health` before handing the server over.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from league.core.settings import Settings


@dataclass
class LiveServer:
    """A running `league serve`: its base URL, process and log file."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(data_dir: Path) -> str:
    """The database a live server in `data_dir` uses: the settings' default SQLite file there."""
    return Settings(data_dir=data_dir, database_url=None).resolved_database_url()


def start_server(data_dir: Path, admin_token: str, port: int | None = None, timeout_s: float = 60.0,
                 extra_env: dict[str, str] | None = None, serve_args: Sequence[str] = ()) -> LiveServer:
    """Start `league serve` (`python -m league`, with `serve_args` such as `--workers 2`) with its database
    in `data_dir` (`league.db`, the settings' default, unless `extra_env` names another); return once
    `/api/health` answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = {
        **os.environ,
        "LEAGUE_DATA_DIR": str(data_dir),
        "LEAGUE_DATABASE_URL": database_url(data_dir),
        "LEAGUE_ADMIN_TOKEN": admin_token,
        "LEAGUE_CHECK_SHARE": "0",  # no random checks by other workers unless a test asks for them
        **(extra_env or {}),
    }
    log_path = data_dir / f"server-{port}.log"
    command = [sys.executable, "-m", "league", "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args]
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"league serve exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/api/health", timeout=2.0).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"league serve did not answer /api/health within {timeout_s:.0f} s:\n{server.log()}")


def stop_server(server: LiveServer, timeout_s: float = 10.0) -> None:
    """Stop the server (SIGTERM, then SIGKILL if it lingers)."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def running_server(data_dir: Path, admin_token: str, **kwargs) -> Iterator[LiveServer]:
    """`start_server` for the length of a `with` block; always stopped afterwards."""
    server = start_server(data_dir, admin_token, **kwargs)
    try:
        yield server
    finally:
        stop_server(server)
