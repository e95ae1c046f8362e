"""`league token`: create, list, revoke and rotate API bearer tokens, directly in the database.

    league token create --role worker [--name NAME]   prints the new token (shown this once)
    league token list [--all]
    league token revoke ID
    league token rotate ID                             prints the replacement token

The database is the one `league serve` uses (`LEAGUE_DATABASE_URL`, or the SQLite file under
`LEAGUE_DATA_DIR`); its schema is upgraded first, so tokens can be made before the first start.
Over HTTP, admins do the same at `/api/tokens`.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from league.cli.errors import CommandError

ROLES = ("admin", "trainer", "worker")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, help="overrides LEAGUE_DATA_DIR")
    parser.add_argument("--database-url", default=None, help="overrides LEAGUE_DATABASE_URL")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a token for a role and print it")
    create.add_argument("--role", required=True, choices=ROLES, help="what the token may do")
    create.add_argument("--name", default=None, help="what it is for (default: ROLE@HOSTNAME)")
    listing = actions.add_parser("list", help="list tokens (never their plaintext)")
    listing.add_argument("--all", action="store_true", help="include revoked tokens")
    revoke = actions.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id", type=int)
    rotate = actions.add_parser("rotate", help="revoke a token and print a new one with the same name and role")
    rotate.add_argument("id", type=int)


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from league.core import tokens
    from league.core.db import make_engine, make_sessionmaker
    from league.core.errors import LeagueError
    from league.core.migrate import upgrade
    from league.core.settings import Settings

    overrides = {k: v for k, v in (("data_dir", args.data_dir), ("database_url", args.database_url)) if v}
    try:
        database_url = Settings(**overrides).resolved_database_url()
    except ValidationError as error:
        raise CommandError(f"invalid settings: {error}") from None
    try:
        upgrade(database_url)
    except Exception as error:  # an unreachable server, a bad URL, a file we may not write
        raise CommandError(f"cannot open the database {database_url}: {error}") from None
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            if args.action == "create":
                made = tokens.create_token(session, args.name or f"{args.role}@{socket.gethostname()}", args.role)
                _print_new(made)
            elif args.action == "list":
                found = tokens.list_tokens(session, include_revoked=args.all)
                for token in found:
                    state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
                    print(f"{token.id:>4}  {token.role:<7}  {token.prefix}...  {state:<24}  {token.name}")
                if not found:
                    print("no tokens" + ("" if args.all else " (--all lists revoked ones too)"))
            elif args.action == "revoke":
                revoked = tokens.revoke_token(session, args.id)
                print(f"revoked token {revoked.id} ({revoked.role}, {revoked.name})")
            elif args.action == "rotate":
                _print_new(tokens.rotate_token(session, args.id))
    except LeagueError as error:
        raise CommandError(str(error)) from None
    finally:
        engine.dispose()
    return 0


def _print_new(made) -> None:
    print(made.plaintext)
    print(f"token {made.token.id} for role {made.token.role} ({made.token.name}); it is shown only this once",
          file=sys.stderr)
