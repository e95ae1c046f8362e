"""The league database a command on the server's machine works on, refused unless a league is there.

`league token` and `league user` change the database directly. Run where no league is (another
directory, a mistyped `--data-dir`), they must not make a fresh empty database that the server
never reads: `open_league` refuses a database that does not exist or does not have the league's
schema, unless `--init` asks for a new one (or `league db upgrade` made it). An existing league
database at an older revision is upgraded first.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from league.cli.errors import CommandError
from league.cli.settings import read_settings

INIT_HELP = "create the league database if there is none (otherwise a missing one is an error)"


def add_database_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """--data-dir, --database-url and --init, accepted before or after the action (`top` for the
    parent parser; the actions' copies leave the parent's values alone unless given)."""
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--data-dir", type=Path, default=default, help="overrides LEAGUE_DATA_DIR")
    parser.add_argument("--database-url", default=default, help="overrides LEAGUE_DATABASE_URL")
    parser.add_argument("--init", action="store_true", default=False if top else argparse.SUPPRESS, help=INIT_HELP)


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


def open_league(args: argparse.Namespace) -> str:
    """The URL of the league database `args` name, upgraded to the newest schema; `CommandError` when
    there is no league there (and `--init` was not given) or it cannot be opened."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from league.core.db import is_sqlite, make_engine
    from league.core.migrate import upgrade
    from league.core.settings import Settings

    overrides = {k: v for k, v in (("data_dir", args.data_dir), ("database_url", args.database_url)) if v}
    url = read_settings(Settings, **overrides).resolved_database_url()
    hint = ("run this where the league's data is (--data-dir, LEAGUE_DATA_DIR or LEAGUE_DATABASE_URL), make "
            "it with `league db upgrade` (or `league serve`), or pass --init")
    try:
        if not args.init:
            if is_sqlite(url):
                path = make_url(url).database
                if not path or path == ":memory:" or not Path(path).is_file():
                    raise CommandError(f"there is no league database at {path}: {hint}")
            engine = make_engine(url)
            try:
                with engine.connect() as connection:
                    tables = set(inspect(connection).get_table_names())
            finally:
                engine.dispose()
            if not {"alembic_version", "api_tokens"} <= tables:
                raise CommandError(f"{_safe(url)} is not a league database (no league tables): {hint}")
        upgrade(url)
    except CommandError:
        raise
    except Exception as error:  # an unreachable server, a bad URL, a file we may not read
        raise CommandError(f"cannot open the database {_safe(url)}: {error}") from None
    return url
