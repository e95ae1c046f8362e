"""A throwaway PostgreSQL server for tests: initdb into a temporary folder, start on a free port.

Uses Debian's server binaries (`/usr/lib/postgresql/*/bin`). As root, the server runs as the
`postgres` system user (PostgreSQL refuses to run as root). Listens on 127.0.0.1 only, with
trust authentication; everything is deleted when it stops.

    with running_postgres() as url:       # postgresql+psycopg://postgres@127.0.0.1:PORT/postgres
        ...

As a script it runs a command with `LEAGUE_TEST_POSTGRES_URL` set to such a server:

    python -m tests.support.pg_server -- pytest tests/core/test_jobs.py
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def find_bin_dir() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_user() -> tuple[list[str], int | None, int | None]:
    """Command prefix and uid/gid to run the server binaries as (not root)."""
    if os.geteuid() != 0:
        return [], None, None
    entry = pwd.getpwnam("postgres")
    return ["runuser", "-u", "postgres", "--"], entry.pw_uid, entry.pw_gid


@contextlib.contextmanager
def running_postgres(timeout: float = 30.0) -> Iterator[str]:
    """Start a fresh server, yield its SQLAlchemy URL, stop and delete it afterwards."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)")
    prefix, uid, gid = _as_user()
    root = Path(tempfile.mkdtemp(prefix="league-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if uid is not None:
        for path in (root, sockets):
            os.chown(path, uid, gid)
    port = _free_port()
    server = None
    log = open(root / "server.log", "wb")  # a file, never a pipe: a full pipe blocks the server's next log line
    try:
        subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
        server = subprocess.Popen(
            [*prefix, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
             "-k", str(sockets), "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "max_connections=60"],
            stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout
        while subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start: "
                                   f"{(root / 'server.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1:]
    if not argv:
        print(__doc__)
        return 2
    with running_postgres() as url:
        print(f"PostgreSQL at {url}", file=sys.stderr)
        return subprocess.run(argv, env={**os.environ, "LEAGUE_TEST_POSTGRES_URL": url}).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
