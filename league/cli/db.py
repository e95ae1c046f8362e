"""`league db upgrade`: bring the database schema to the newest revision (and seed the basic opponents).

The database comes from `LEAGUE_DATABASE_URL`, by default the SQLite file `league.db` under
`LEAGUE_DATA_DIR`; `--database-url` overrides it.
"""

from __future__ import annotations

import argparse

from league.cli.errors import CommandError
from league.cli.settings import read_settings


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    upgrade = sub.add_parser("upgrade", help="migrate the schema to the newest revision")
    upgrade.add_argument("--database-url", default=None, help="overrides LEAGUE_DATABASE_URL")
    current = sub.add_parser("current", help="print the schema revision the database is at")
    current.add_argument("--database-url", default=None, help="overrides LEAGUE_DATABASE_URL")


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from league.core.migrate import current_revision, upgrade
    from league.core.settings import Settings

    url = args.database_url or read_settings(Settings).resolved_database_url()
    try:
        if args.action == "upgrade":
            upgrade(url)
            print(f"database at revision {current_revision(url)}: {_safe(url)}")
        else:
            print(current_revision(url) or "(empty database)")
    except (ArgumentError, SQLAlchemyError) as error:
        raise CommandError(f"cannot use database {_safe(url)}: {error}") from None
    return 0


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"
