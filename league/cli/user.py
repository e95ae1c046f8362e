"""`league user`: create and list the league's users, directly in the database.

    league user create alice      a new user; give it tokens with `league token create --user alice`
    league user list

A user owns the agent lineages it registers into first; `admin` always exists. The database is the
one `league serve` uses; options go before or after the action, and where there is no league
database the command stops with an error (`--init` makes one). Over HTTP, admins do the same at
`POST /api/users`. Every change is written to the audit log (role `cli`).
"""

from __future__ import annotations

import argparse
import socket

from league.cli.database import add_database_options, open_league
from league.cli.errors import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser, top=True)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a user")
    create.add_argument("name", help="1 to 40 ASCII letters, digits, '.', '_' or '-'")
    listing = actions.add_parser("list", help="list the users")
    for action in (create, listing):
        add_database_options(action)


def run(args: argparse.Namespace) -> int:
    from league.core import audit, users
    from league.core.db import make_engine, make_sessionmaker
    from league.core.errors import LeagueError

    database_url = open_league(args)
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            if args.action == "create":
                made = users.create_user(session, args.name)
                audit.record_write(session, action=f"league user create (command line on {socket.gethostname()})",
                                   status=0, role=audit.COMMAND_LINE, detail=f"user {made.name}")
                print(f"user {made.name} created; give it a token with "
                      f"`league token create --user {made.name} --role trainer`")
            else:
                for user in users.list_users(session):
                    print(f"{user.name:<40}  since {user.created_at:%Y-%m-%d %H:%M}")
    except LeagueError as error:
        raise CommandError(str(error)) from None
    finally:
        engine.dispose()
    return 0
