"""`league token`: create, list, revoke and rotate API bearer tokens, directly in the database.

    league token create --user alice --role trainer [--name NAME]   prints the new token (shown this once)
    league token list [--all] [--user alice]
    league token revoke ID
    league token rotate ID                                           prints the replacement token
    league token create --server URL --user U --role worker --name N --replace
                                     the same over HTTP with $LEAGUE_ADMIN_TOKEN (a container making
                                     its own token at start: the earlier one of that name is revoked)

Every token belongs to a user (`league user create NAME`; `admin` always exists). The database is
the one `league serve` uses (`LEAGUE_DATABASE_URL`, or the SQLite file under `LEAGUE_DATA_DIR`);
options go before or after the action. Where there is no league database the command stops with
an error instead of making an empty one (`--init` makes one). The bootstrap admin token
(`LEAGUE_ADMIN_TOKEN`) is listed once the server has started with it, and `revoke` retires it at
once, without a restart (the last active admin token is never revoked). Over HTTP, admins do the
same at `/api/tokens`. Every change is written to the audit log (role `cli`).
"""

from __future__ import annotations

import argparse
import socket
import sys

from league.cli.database import add_database_options, open_league
from league.cli.errors import CommandError

ROLES = ("admin", "trainer", "worker")


def configure(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser, top=True)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a token of a user for a role and print it")
    create.add_argument("--user", required=True, help="the user it belongs to (`league user create NAME` first)")
    create.add_argument("--role", required=True, choices=ROLES, help="what the token may do")
    create.add_argument("--name", default=None, help="what it is for (default: ROLE@HOSTNAME)")
    create.add_argument("--replace", action="store_true",
                        help="revoke the user's active tokens of this name and role first")
    create.add_argument("--server", default=None,
                        help="make it over HTTP at this league server, with the admin token $LEAGUE_ADMIN_TOKEN, "
                             "instead of in the database")
    listing = actions.add_parser("list", help="list tokens (never their plaintext)")
    listing.add_argument("--all", action="store_true", help="include revoked tokens")
    listing.add_argument("--user", default=None, help="only this user's tokens")
    revoke = actions.add_parser("revoke", help="revoke a token by id (the bootstrap admin token too)")
    revoke.add_argument("id", type=int)
    rotate = actions.add_parser("rotate", help="revoke a token and print a new one with the same name and role")
    rotate.add_argument("id", type=int)
    for action in (create, listing, revoke, rotate):
        add_database_options(action)


def run(args: argparse.Namespace) -> int:
    from league.core import tokens
    from league.core.db import make_engine, make_sessionmaker
    from league.core.errors import LeagueError

    if args.action == "create" and args.server:
        return _create_over_http(args)
    database_url = open_league(args)
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            if args.action == "create":
                made = tokens.create_token(session, _name(args), args.role, args.user, replace=args.replace)
                _audit(session, "token create", f"token {made.token.id} ({made.token.role} of "
                       f"{made.token.user}: {made.token.name})")
                _print_new(made)
            elif args.action == "list":
                found = tokens.list_tokens(session, include_revoked=args.all, user=args.user)
                for token in found:
                    state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
                    print(f"{token.id:>4}  {token.role:<7}  {token.user:<16}  {token.prefix}...  {state:<24}  "
                          f"{token.name}")
                if not found:
                    print("no tokens" + ("" if args.all else " (--all lists revoked ones too)"))
            elif args.action == "revoke":
                revoked = tokens.revoke_token(session, args.id)
                _audit(session, "token revoke", f"token {revoked.id}")
                print(f"revoked token {revoked.id} ({revoked.role} of {revoked.user}, {revoked.name})")
            elif args.action == "rotate":
                made = tokens.rotate_token(session, args.id)
                _audit(session, "token rotate", f"token {args.id} -> token {made.token.id}")
                _print_new(made)
    except LeagueError as error:
        raise CommandError(str(error)) from None
    finally:
        engine.dispose()
    return 0


def _name(args: argparse.Namespace) -> str:
    return args.name or f"{args.role}@{socket.gethostname()}"


def _create_over_http(args: argparse.Namespace) -> int:
    """`token create` through `POST /api/tokens` of a running server (the server writes the audit entry)."""
    import os

    from league.workers.client import LeagueClient, LeagueClientError

    admin_token = os.environ.get("LEAGUE_ADMIN_TOKEN")
    if not admin_token:
        raise CommandError("--server needs the admin token in LEAGUE_ADMIN_TOKEN")
    try:
        with LeagueClient(args.server, admin_token) as client:
            made = client.create_token(_name(args), args.role, args.user, replace=args.replace)
    except (ValueError, LeagueClientError) as error:
        raise CommandError(str(error)) from None
    _print_new(made)
    return 0


def _audit(session, action: str, detail: str) -> None:
    """An audit entry for a change made here (no token, role `cli`, status 0: no HTTP answer)."""
    from league.core import audit

    audit.record_write(session, action=f"league {action} (command line on {socket.gethostname()})", status=0,
                       role=audit.COMMAND_LINE, detail=detail)


def _print_new(made) -> None:
    print(made.plaintext)
    print(f"token {made.token.id} of user {made.token.user} for role {made.token.role} ({made.token.name}); "
          "it is shown only this once", file=sys.stderr)
