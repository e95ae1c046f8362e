"""Run a command with a throwaway PostgreSQL server, its URL in LEAGUE_TEST_POSTGRES_URL.

    python .ci/with_postgres.py pytest -q

Uses `tests/pg_server.py` (the test suite's own helper) when it offers `running_postgres()`,
otherwise starts Debian's server binaries (`/usr/lib/postgresql/*/bin`) itself: initdb into a
temporary directory with trust authentication, listen on a free port of 127.0.0.1, and stop and
delete everything afterwards. As root, the server runs as the `postgres` system user (PostgreSQL
refuses to run as root). Without PostgreSQL binaries, or with LEAGUE_TEST_POSTGRES_URL already set,
the command simply runs.
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

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


@contextlib.contextmanager
def _debian_postgres(bin_dir: Path) -> Iterator[str]:
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="league-pg-"))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    if owner is not None:
        for path in (base, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    try:
        subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "--no-sync", "-E", "UTF8"], check=True, **quiet)
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"),
                        "-w", "-t", "60", "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                        "start"], check=True, **quiet)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       **quiet)
        shutil.rmtree(base, ignore_errors=True)


def _server() -> contextlib.AbstractContextManager[str | None]:
    if os.environ.get("LEAGUE_TEST_POSTGRES_URL"):
        return contextlib.nullcontext(os.environ["LEAGUE_TEST_POSTGRES_URL"])
    helper = ROOT / "tests" / "pg_server.py"
    if helper.exists():
        sys.path.insert(0, str(helper.parent))
        import pg_server  # the test suite's helper

        if hasattr(pg_server, "running_postgres"):
            return pg_server.running_postgres()
    bin_dir = _binaries()
    if bin_dir is None:
        return contextlib.nullcontext(None)
    return _debian_postgres(bin_dir)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        server = _server()
        url = server.__enter__()
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"with_postgres: could not start PostgreSQL ({error}); running without it", file=sys.stderr)
        server, url = contextlib.nullcontext(None), None
    try:
        env = dict(os.environ)
        if url:
            env["LEAGUE_TEST_POSTGRES_URL"] = url
            print(f"with_postgres: PostgreSQL at {url} (up in {time.monotonic() - started:.1f} s)", flush=True)
        else:
            print("with_postgres: no PostgreSQL server binaries; PostgreSQL tests will be skipped", flush=True)
        return subprocess.call(argv, env=env)
    finally:
        server.__exit__(None, None, None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
