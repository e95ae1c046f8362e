"""`league serve`: upgrade the database schema, then serve the REST API (and dashboard) with uvicorn.

Settings come from `LEAGUE_*` environment variables (see `league.core.settings.Settings`); the
options here override the host, port and data directory. Connections are bounded by the settings
(`api.server`): header and body time-outs, open connections, keep-alive, the size of a request's head.

One process by default: on SQLite the server is the database's only writer, so `--workers N` with
N > 1 is refused there. On PostgreSQL `--workers N` upgrades the schema once, here, then runs N
worker processes that share the listening socket (`api.server.serve_workers`); SIGTERM or SIGINT
stops them all. Each worker is a whole server of its own, so these hold per process, not per
`league serve`: the connection limit (`LEAGUE_MAX_CONNECTIONS` open connections in each worker),
the time-outs, the public reads computed at once and waiting (`LEAGUE_READ_CONCURRENCY`,
`LEAGUE_READ_QUEUE`), each token's write bucket (`LEAGUE_WRITE_RATE_PER_S`, `LEAGUE_WRITE_BURST`:
kept in memory, so a token may write up to N times as fast), the health probe's answer and the
leaderboard cache (kept in step across processes by PostgreSQL change notices). The app starts no
background loop that would now run N times: lease expiry, dead-lettering and matchmaking run inside
the requests that claim jobs, in write transactions that lock the rows they change, so N workers are
as safe as as many concurrent requests in one (matchmaking's top-up is not serialised: concurrent
claims may queue a few matches more than `queue_target`, in one process or several).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from league.cli.errors import CommandError
from league.cli.settings import read_settings

if TYPE_CHECKING:
    from league.core.settings import Settings

MAX_WORKERS = 64


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port to listen on (default: 8000)")
    parser.add_argument("--workers", type=int, default=1,
                        help=f"server processes sharing the port, 1-{MAX_WORKERS} (default: 1; more than 1 "
                             "needs PostgreSQL, LEAGUE_DATABASE_URL); limits hold per process")
    parser.add_argument("--data-dir", type=Path, default=None, help="overrides LEAGUE_DATA_DIR")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])


def run(args: argparse.Namespace) -> int:
    from league.core.settings import Settings

    if not 0 < args.port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, got {args.port}")
    if not 1 <= args.workers <= MAX_WORKERS:
        raise CommandError(f"--workers must be between 1 and {MAX_WORKERS}, got {args.workers}")
    # a weak LEAGUE_ADMIN_TOKEN stops the server here, named but never printed
    settings = read_settings(Settings, **({"data_dir": args.data_dir} if args.data_dir else {}))
    if args.workers == 1:
        _serve_one(settings, args)
    else:
        _serve_many(settings, args)
    return 0


def _serve_one(settings: Settings, args: argparse.Namespace) -> None:
    from api.app import create_app
    from api.server import serve

    app = create_app(settings)  # upgrades the schema before the first request is served
    try:
        serve(app, settings, host=args.host, port=args.port, log_level=args.log_level)
    except OSError as error:
        raise _cannot_listen(args, error) from None


def _serve_many(settings: Settings, args: argparse.Namespace) -> None:
    from api.server import WorkersFailed, serve_workers
    from league.core.db import is_sqlite
    from league.core.migrate import current_revision, upgrade

    database_url = settings.resolved_database_url()
    if is_sqlite(database_url):
        raise CommandError(f"--workers {args.workers} needs PostgreSQL (LEAGUE_DATABASE_URL="
                           "postgresql+psycopg://...): on SQLite the server is the database's only writer, "
                           "so it runs one process (--workers 1)")
    upgrade(database_url)  # once, before any worker starts
    print(f"league serve: database schema upgraded to {current_revision(database_url)}; "
          f"starting {args.workers} worker processes", file=sys.stderr, flush=True)
    try:
        serve_workers(settings, workers=args.workers, host=args.host, port=args.port, log_level=args.log_level)
    except OSError as error:
        raise _cannot_listen(args, error) from None
    except WorkersFailed as error:
        raise CommandError(str(error)) from None


def _cannot_listen(args: argparse.Namespace, error: OSError) -> CommandError:
    return CommandError(f"cannot listen on {args.host}:{args.port}: {error}")
