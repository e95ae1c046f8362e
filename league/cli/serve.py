"""`league serve`: upgrade the database schema, then serve the REST API (and dashboard) with uvicorn.

Settings come from `LEAGUE_*` environment variables (see `league.core.settings.Settings`); the
options here override the host, port and data directory. One uvicorn worker: on SQLite the
server is the database's only writer. Connections are bounded by the settings (`api.server`):
header and body time-outs, open connections, keep-alive, the size of a request's head.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from league.cli.errors import CommandError
from league.cli.settings import read_settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port to listen on (default: 8000)")
    parser.add_argument("--data-dir", type=Path, default=None, help="overrides LEAGUE_DATA_DIR")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])


def run(args: argparse.Namespace) -> int:
    from api.app import create_app
    from api.server import serve
    from league.core.settings import Settings

    if not 0 < args.port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, got {args.port}")
    # a weak LEAGUE_ADMIN_TOKEN stops the server here, named but never printed
    settings = read_settings(Settings, **({"data_dir": args.data_dir} if args.data_dir else {}))
    app = create_app(settings)  # upgrades the schema before the first request is served
    try:
        serve(app, settings, host=args.host, port=args.port, log_level=args.log_level)
    except OSError as error:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {error}") from None
    return 0
