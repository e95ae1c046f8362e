"""`league match-worker`: claim match jobs from a league server, play them, report the results."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

from league.cli.errors import CommandError
from league.cli.settings import read_settings
from league.core.schemas import Health
from league.workers.client import (
    AuthenticationError,
    IncompatibleServer,
    LeagueClient,
    PermissionDenied,
    RequestRejected,
    RetryPolicy,
)
from league.workers.display import ProgressLog
from league.workers.match_worker import TRANSIENT, MatchWorker
from league.workers.policies import PolicyLoader
from league.workers.settings import WorkerSettings
from league.workers.weights_cache import WeightsCache


def configure(parser: argparse.ArgumentParser) -> None:
    settings = read_settings(WorkerSettings)
    parser.add_argument("--server", default=settings.server_url,
                        help="league server URL, e.g. http://127.0.0.1:8000 (env LEAGUE_SERVER_URL)")
    parser.add_argument("--token", default=settings.token,
                        help="worker bearer token (env LEAGUE_TOKEN), one per worker: the server knows the "
                             "worker by it; `league token create --user USER --role worker`")
    parser.add_argument("--name", default=f"{socket.gethostname()}-{os.getpid()}",
                        help="this worker's name in its own log (default: host-pid); the server shows the "
                             "token's name")
    parser.add_argument("--cache-dir", type=Path, default=settings.weights_cache_dir(),
                        help="weights cache directory (default: $LEAGUE_CACHE_DIR, else weights-cache under "
                             "$LEAGUE_DATA_DIR, ./league-data by default)")
    parser.add_argument("--poll-interval", type=float, default=2.0, help="seconds between claims when idle")
    parser.add_argument("--connect-timeout", type=float, default=15.0,
                        help="seconds to wait for the server at start-up before giving up")
    parser.add_argument("--max-jobs", type=int, default=None, help="stop after this many jobs")
    parser.add_argument("--idle-exit", type=float, default=None,
                        help="stop after this many seconds without a job (default: never)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for Dreamer policies")
    parser.add_argument("--matches", type=int, default=settings.match_batch,
                        help="matches to hold and play at once, all their games in one lock step, each "
                             "snapshot's policy called once per step for all of them (env LEAGUE_MATCH_BATCH, "
                             "default 32; 1 plays one job at a time)")


def _connect(client: LeagueClient, timeout: float) -> Health:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.check_compatible()
        except TRANSIENT as error:
            if time.monotonic() >= deadline:
                raise CommandError(f"cannot reach the league server: {error}") from None
            time.sleep(1.0)


def run(args: argparse.Namespace) -> int:
    if not args.server:
        raise CommandError("no server given: pass --server URL or set LEAGUE_SERVER_URL")
    if not args.token:
        raise CommandError("no token given: pass --token T or set LEAGUE_TOKEN "
                           "(make one with `league token create --user USER --role worker`)")
    for flag, value in (("--poll-interval", args.poll_interval), ("--connect-timeout", args.connect_timeout)):
        if value < 0:
            raise CommandError(f"{flag} must not be negative, got {value}")
    if not 1 <= args.matches <= 64:
        raise CommandError(f"--matches must be between 1 and 64, got {args.matches}")
    if args.max_jobs is not None and args.max_jobs < 1:
        raise CommandError(f"--max-jobs must be at least 1, got {args.max_jobs}")
    try:
        client = LeagueClient(args.server, args.token, retry=RetryPolicy(attempts=3))
    except ValueError as error:
        raise CommandError(str(error)) from None
    cache = WeightsCache(args.cache_dir, client.opponent_weights)
    loader = PolicyLoader(cache, threads=args.threads)
    progress = ProgressLog("games played", "game")  # a line per job off a terminal, a counter on one
    worker = MatchWorker(client, args.name, loader, poll_interval=args.poll_interval,
                         max_jobs=args.max_jobs, idle_exit=args.idle_exit,
                         log=progress.say, on_games=progress.advance, matches=args.matches)

    def on_signal(signum: int, _frame: Any) -> None:
        if worker.stop_requested.is_set():
            raise KeyboardInterrupt  # second signal: abandon the job now
        worker.log(f"{signal.Signals(signum).name}: finishing the current job(s), then stopping")
        worker.stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        health = _connect(client, args.connect_timeout)
        worker.log(f"server {client.base_url} answers (game {health.game_version}); "
                   f"claiming jobs as {args.name}, weights cache {cache.directory}")
        stats = worker.run()
    except IncompatibleServer as error:
        raise CommandError(str(error)) from None
    except (AuthenticationError, PermissionDenied) as error:
        raise CommandError(f"the server refused this worker: {error}") from None
    except RequestRejected as error:
        raise CommandError(f"the server rejected a request: {error}") from None
    except KeyboardInterrupt:
        worker.log("stopped at once; the current job goes back to the queue and will be played again")
        return 130
    finally:
        client.close()
        progress.close()
    elapsed = time.monotonic() - stats.started
    worker.log(f"stopped: {stats.jobs} jobs, {stats.games} games in {elapsed:.0f} s"
               + (f", {stats.lost_leases} leases lost" if stats.lost_leases else "")
               + (f", {stats.abandoned} jobs given up" if stats.abandoned else ""))
    return 0
