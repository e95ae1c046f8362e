"""Run a command with a throwaway PostgreSQL server, its URL in LEAGUE_TEST_POSTGRES_URL.

    python .ci/with_postgres.py pytest -q

The server comes from the test suite's helper `tests/support/pg_server.py` (Debian's server binaries,
a temporary data folder, a free port on 127.0.0.1, everything deleted afterwards). With
LEAGUE_TEST_POSTGRES_URL already set the command runs against that server; without PostgreSQL
binaries it runs without one (the PostgreSQL variants of the tests are then skipped), saying so.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _server() -> contextlib.AbstractContextManager[str | None]:
    if os.environ.get("LEAGUE_TEST_POSTGRES_URL"):
        return contextlib.nullcontext(os.environ["LEAGUE_TEST_POSTGRES_URL"])
    if not (ROOT / "tests" / "support" / "pg_server.py").exists():
        return contextlib.nullcontext(None)
    sys.path.insert(0, str(ROOT))
    from tests.support import pg_server

    if pg_server.find_bin_dir() is None:
        return contextlib.nullcontext(None)
    return pg_server.running_postgres()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(_server())
        except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
            print(f"with_postgres: could not start PostgreSQL ({error}); running without it", flush=True)
            url = None
        env = dict(os.environ)
        if url:
            env["LEAGUE_TEST_POSTGRES_URL"] = url
            print(f"with_postgres: PostgreSQL at {url} (up in {time.monotonic() - started:.1f} s)", flush=True)
        else:
            print("with_postgres: no PostgreSQL server; its test variants will be skipped", flush=True)
        return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
