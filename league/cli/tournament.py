"""`league tournament`: create, list, show, pause, resume, cancel and export tournaments over HTTP.

    league tournament create --name "term final" --participants 3 5 8 --games-per-pair 20 --seed 7
    league tournament create --name top4 --top 4 --games-per-pair 10 [--unrated]
    league tournament create --name g --format gauntlet --participants 9 --field 1 2 --games-per-pair 50
    league tournament list
    league tournament show ID                      state, progress and standings
    league tournament pause|resume|cancel ID
    league tournament export ID [--format csv|json] [--table standings|games] [--output FILE]

The server is `--server` or `LEAGUE_SERVER_URL`; the token `--token` or `LEAGUE_TOKEN` (an admin's for
any snapshots, a trainer's for tournaments of the user's own; reads need none).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from league.cli.errors import CommandError
from league.cli.settings import read_settings
from league.workers.client import LeagueClient, LeagueClientError, RetryPolicy
from league.workers.settings import WorkerSettings


def configure(parser: argparse.ArgumentParser) -> None:
    settings = read_settings(WorkerSettings)
    parser.add_argument("--server", default=settings.server_url,
                        help="league server URL, e.g. http://127.0.0.1:8000 (env LEAGUE_SERVER_URL)")
    parser.add_argument("--token", default=settings.token, help="admin or trainer bearer token (env LEAGUE_TOKEN)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a tournament and queue its matches")
    create.add_argument("--name", required=True)
    who = create.add_mutually_exclusive_group(required=True)
    who.add_argument("--participants", type=int, nargs="+", metavar="ID", help="snapshot ids (a gauntlet's entrants)")
    who.add_argument("--top", type=int, metavar="N", help="the top N of the leaderboard")
    create.add_argument("--format", choices=("round_robin", "gauntlet"), default="round_robin")
    create.add_argument("--field", type=int, nargs="+", metavar="ID", help="a gauntlet's fixed field")
    create.add_argument("--games-per-pair", type=int, required=True, help="even: games are played in mirrored pairs")
    create.add_argument("--seed", type=int, default=None, help="the same participants and seed give the same games")
    create.add_argument("--unrated", action="store_true", help="do not rate its games in the league")
    create.add_argument("--remote-deadline", type=int, default=None, metavar="SECONDS",
                        help="after this many seconds an offline remote participant forfeits its games still to "
                             "play (default: a day)")
    actions.add_parser("list", help="every tournament with its progress")
    for name, help_ in (("show", "state, progress and standings"), ("pause", "stop handing out its matches"),
                        ("resume", "hand out its matches again"), ("cancel", "take its queued matches off the queue")):
        actions.add_parser(name, help=help_).add_argument("id", type=int)
    export = actions.add_parser("export", help="its results as CSV or JSON")
    export.add_argument("id", type=int)
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--table", choices=("standings", "games"), default="standings", help="for CSV: which table")
    export.add_argument("--output", type=Path, default=None, help="write to FILE instead of printing")


def _summary_line(t: dict[str, Any]) -> str:
    return (f"{t['id']:>4}  {t['name'][:30]:<30}  {t['format']:<11}  {t['state']:<9}  "
            f"{t['games_played']:>6}/{t['games_total']:<6}  seed {t['seed']}{'' if t['rated'] else '  unrated'}")


def _interval(row: dict[str, Any]) -> str:
    if row["estimate"] is None:
        return ""
    return f"{row['estimate']:+7.0f} [{row['estimate_low']:+.0f}, {row['estimate_high']:+.0f}]"


def print_detail(detail: dict[str, Any]) -> None:
    print(_summary_line(detail))
    print(f"{'#':>3}  {'snapshot':<30}  {'score':>6}  {'W':>4} {'D':>4} {'L':>4}  strength (Elo, 95 % interval)")
    for row in detail["standings"]:
        print(f"{row['rank']:>3}  {row['name'][:30]:<30}  {row['score']:>6g}  {row['wins']:>4} {row['draws']:>4} "
              f"{row['losses']:>4}  {_interval(row)}")


def _request(client: LeagueClient, args: argparse.Namespace) -> int:
    if args.action == "create":
        body: dict[str, Any] = {
            "name": args.name, "participants": args.participants if args.top is None else {"top": args.top},
            "format": args.format, "games_per_pair": args.games_per_pair, "seed": args.seed,
            "rated": not args.unrated}
        if args.field:
            body["field"] = args.field
        if args.remote_deadline is not None:
            body["remote_deadline_s"] = args.remote_deadline
        made = client.request("POST", "/api/tournaments", json=body).json()
        print(f"created tournament {made['id']}: {made['games_total']} games, seed {made['seed']}")
        print(f"its page: {args.server.rstrip('/')}/tournaments/{made['id']}")
    elif args.action == "list":
        for tournament in client.request("GET", "/api/tournaments").json():
            print(_summary_line(tournament))
    elif args.action == "show":
        print_detail(client.request("GET", f"/api/tournaments/{args.id}").json())
    elif args.action in ("pause", "resume", "cancel"):
        print(_summary_line(client.request("POST", f"/api/tournaments/{args.id}/{args.action}").json()))
    else:
        response = client.request("GET", f"/api/tournaments/{args.id}/export",
                                  params={"format": args.format, "table": args.table})
        text = response.text if args.format == "csv" else json.dumps(response.json(), indent=1) + "\n"
        if args.output is None:
            print(text, end="")
        else:
            args.output.write_text(text)
            print(f"wrote {args.output}")
    return 0


def run(args: argparse.Namespace) -> int:
    if not args.server:
        raise CommandError("no server: pass --server URL or set LEAGUE_SERVER_URL")
    if args.action in ("create", "pause", "resume", "cancel") and not args.token:
        raise CommandError("no token: pass --token or set LEAGUE_TOKEN (an admin token, or a trainer's for a "
                           "tournament of the user's own snapshots)")
    try:
        with LeagueClient(args.server, args.token, retry=RetryPolicy(attempts=3)) as client:
            return _request(client, args)
    except LeagueClientError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write {args.output}: {error}") from None
