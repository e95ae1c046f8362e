"""`league serve`: upgrade the database schema, then serve the REST API (and dashboard) with uvicorn.

Settings come from `LEAGUE_*` environment variables (see `league.core.settings.Settings`); the
options here override the host, port and data directory. One uvicorn worker: on SQLite the
server is the database's only writer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from league.cli.errors import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port to listen on (default: 8000)")
    parser.add_argument("--data-dir", type=Path, default=None, help="overrides LEAGUE_DATA_DIR")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])


def run(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError

    from api.app import create_app
    from league.core.settings import Settings

    if not 0 < args.port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, got {args.port}")
    try:
        settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    except ValidationError as error:
        raise CommandError(f"invalid settings: {error}") from None
    app = create_app(settings)  # upgrades the schema before the first request is served
    try:
        uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level=args.log_level)
    except OSError as error:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {error}") from None
    return 0
