"""`league up`: the whole league on one machine, started and stopped with one command.

It upgrades the database (embedded SQLite under `LEAGUE_DATA_DIR`, default `./league-data`, unless
`LEAGUE_DATABASE_URL` says otherwise), starts the server, registers the committed trained checkpoints
from `checkpoints/` (the basic opponents are seeded by the server itself), then starts the training
worker(s) and the match workers, each in its own process group with its output in
`<data dir>/logs/NAME.log`. It prints the dashboard URL and a live status (a progress line on a
terminal, a log line every 30 s otherwise), restarts a child that crashes, and on Ctrl-C or SIGTERM
stops the workers (letting them finish their job), then the trainer, then the server, and checks that
no process of theirs is left. Stopping works whatever became of its output (a pipe closed by the
same Ctrl-C, a closed stdout): output goes through `ProgressLog`, which never raises.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from league.cli.errors import CommandError
from league.cli.settings import read_settings
from league.cli.supervisor import ChildSpec, Supervisor
from league.cli.train import REGISTER_EVERY
from league.core.schemas import Health, Registered
from league.core.settings import Settings
from league.workers.client import LeagueClient, LeagueClientError, RetryPolicy
from league.workers.display import ProgressLog

REPO_ROOT = Path(__file__).resolve().parents[2]
# `league ...` with this interpreter (`python -m league`, which works without the console script).
LEAGUE = [sys.executable, "-m", "league"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="server port (default: 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default: 127.0.0.1)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="league data directory (default: $LEAGUE_DATA_DIR or ./league-data)")
    parser.add_argument("--match-workers", type=int, default=2, help="match workers to run (default: 2)")
    parser.add_argument("--trainers", type=int, default=1, help="training workers to run (default: 1)")
    parser.add_argument("--gateway-port", type=int, default=8765,
                        help="port of the agent gateway remote agents connect to (default: 8765; 0: none)")
    parser.add_argument("--trainer-preset", default="default",
                        help="Dreamer config preset of the trainer (default: default; debug is tiny)")
    parser.add_argument("--register-every", type=int, default=None,
                        help="trainer: register a checkpoint as a new opponent every N environment steps "
                             f"(default: {REGISTER_EVERY}, the `league train` default)")
    parser.add_argument("--trainer-args", default="",
                        help="further arguments for `league train`, as one quoted string (default: none)")
    parser.add_argument("--checkpoints", type=Path, default=REPO_ROOT / "checkpoints",
                        help="committed checkpoints registered into the league at start (default: checkpoints/)")
    parser.add_argument("--duration", type=float, default=None,
                        help="stop by itself after this many seconds (default: run until Ctrl-C)")
    parser.add_argument("--status-every", type=float, default=None,
                        help="seconds between status lines (default: 2 on a terminal, 30 otherwise)")


# -- preparation ---------------------------------------------------------------------------------


def _check_args(args: argparse.Namespace) -> None:
    if not 0 < args.port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, got {args.port}")
    for flag, value in (("--match-workers", args.match_workers), ("--trainers", args.trainers)):
        if value < 0:
            raise CommandError(f"{flag} must not be negative, got {value}")
    if args.register_every is not None and args.register_every < 1:
        raise CommandError(f"--register-every must be at least 1, got {args.register_every}")
    if args.duration is not None and args.duration <= 0:
        raise CommandError(f"--duration must be positive, got {args.duration}")
    try:
        shlex.split(args.trainer_args)
    except ValueError as error:
        raise CommandError(f"--trainer-args cannot be split into arguments: {error}") from None
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no obstacle
        try:
            probe.bind((args.host, args.port))
        except OSError as error:
            raise CommandError(
                f"cannot listen on {args.host}:{args.port} ({error.strerror}): "
                "is a league already running? choose another --port"
            ) from None


def _admin_token(settings: Settings, data_dir: Path) -> str:
    """`$LEAGUE_ADMIN_TOKEN`, else the one kept in `<data dir>/admin-token` (made on first use)."""
    if settings.admin_token:
        return settings.admin_token
    path = data_dir / "admin-token"
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(token + "\n")
    return token


def _migrate(env: dict[str, str], log_dir: Path) -> None:
    log_path = log_dir / "migrate.log"
    with open(log_path, "ab") as log:
        code = subprocess.call([*LEAGUE, "db", "upgrade"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    if code != 0:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-10:]
        raise CommandError("upgrading the database failed:\n  " + "\n  ".join(tail))


def _wait_for_server(client: LeagueClient, supervisor: Supervisor, timeout: float,
                     stop: threading.Event) -> Health | None:
    """The server's health once it answers; None if `stop` is set first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if "server" not in supervisor.running():
            log = supervisor.log_path("server")
            tail = log.read_text(errors="replace").strip().splitlines()[-15:] if log else []
            raise CommandError("the server exited while starting:\n  " + "\n  ".join(tail))
        try:
            return client.health()
        except LeagueClientError:
            stop.wait(0.3)
    if stop.is_set():
        return None
    raise CommandError(f"the server did not answer within {timeout:.0f} s (log: {supervisor.log_path('server')})")


def register_checkpoints(client: LeagueClient, directory: Path, say=print) -> list[Registered]:
    """Register every `NAME.safetensors` + `NAME.json` in `directory` (identical ones only once)."""
    registered = []
    for weights_path in sorted(directory.glob("*.safetensors")) if directory.is_dir() else []:
        meta_path = weights_path.with_suffix(".json")
        try:
            meta = json.loads(meta_path.read_text())
            body = {
                "agent": str(meta.get("agent") or f"committed-{weights_path.stem}"),
                "kind": "dreamer",
                "config": meta["config"],
                "step": int(meta.get("step", 0)),
                "notes": f"committed checkpoint {weights_path.name}",
            }
            answer = client.register_opponent(body, weights_path.read_bytes())
        except (OSError, ValueError, KeyError, LeagueClientError) as error:
            say(f"  could not register {weights_path.name}: {error}")
            continue
        registered.append(answer)
        say(f"  {'registered' if answer.created else 'already registered'}: {weights_path.name} "
            f"(opponent {answer.id})")
    return registered


def child_names(args: argparse.Namespace) -> dict[str, str]:
    """Every trainer and match worker this run starts, by child name, with its role."""
    return {**{f"trainer-{i}": "trainer" for i in range(1, args.trainers + 1)},
            **{f"match-worker-{i}": "worker" for i in range(1, args.match_workers + 1)},
            **({"gateway": "worker"} if getattr(args, "gateway_port", 0) else {})}


def child_tokens(client: LeagueClient, admin_token: str, children: dict[str, str]) -> tuple[dict[str, str], list[int]]:
    """A token of its own for every child (`child_names`), of the `admin` user, revoked at the end: the
    server knows each worker by its token (its leases and write rate are its own), and the token's
    name ("league up match-worker-1") is the worker's name there. The admin token stands in for one
    the server would not make."""
    tokens, ids = {}, []
    for child, role in children.items():
        try:
            made = client.create_token(f"league up {child}", role, "admin")
        except LeagueClientError:
            tokens[child] = admin_token
            continue
        tokens[child] = made.plaintext
        ids.append(made.token.id)
    return tokens, ids


def _trainer_argv(args: argparse.Namespace, url: str, data_dir: Path, index: int) -> list[str]:
    """`league train` for trainer `index`; a run that has saved state is resumed (after a restart,
    or by the next `league up`)."""
    run_dir = data_dir / "runs" / f"trainer-{index}"
    argv = [*LEAGUE, "train", "--server", url, "--agent-name", f"dreamer-{args.trainer_preset}-{index}"]
    if (run_dir / "state" / "trainer.json").exists():
        argv += ["--resume", str(run_dir)]
    else:
        argv += ["--preset", args.trainer_preset, "--run-dir", str(run_dir)]
    if args.register_every is not None:
        argv += ["--register-every", str(args.register_every)]
    return argv + shlex.split(args.trainer_args)


def _children(args: argparse.Namespace, url: str, env: dict[str, str], data_dir: Path,
              tokens: dict[str, str]) -> list[ChildSpec]:
    """The trainers and match workers, each with its own token (`tokens`, by child name) in LEAGUE_TOKEN."""
    specs = []
    child_env = {k: v for k, v in env.items() if k != "LEAGUE_ADMIN_TOKEN"}
    for i in range(1, args.trainers + 1):
        # SIGINT: `league train` saves its state on KeyboardInterrupt, so it resumes where it stopped
        specs.append(ChildSpec(f"trainer-{i}", functools.partial(_trainer_argv, args, url, data_dir, i),
                               env={**child_env, "LEAGUE_TOKEN": tokens[f"trainer-{i}"]}, stop_signal=signal.SIGINT))
    for i in range(1, args.match_workers + 1):
        argv = [*LEAGUE, "match-worker", "--server", url, "--name", f"up-worker-{i}",
                "--cache-dir", str(data_dir / "weights-cache")]
        specs.append(ChildSpec(f"match-worker-{i}", argv,
                               env={**child_env, "LEAGUE_TOKEN": tokens[f"match-worker-{i}"]}))
    if getattr(args, "gateway_port", 0):  # remote agents connect here (`league connect`)
        argv = [*LEAGUE, "gateway", "--server", url, "--host", args.host, "--port", str(args.gateway_port),
                "--cache-dir", str(data_dir / "weights-cache")]
        specs.append(ChildSpec("gateway", argv, env={**child_env, "LEAGUE_TOKEN": tokens["gateway"]}))
    return specs


# -- the live status -----------------------------------------------------------------------------


def status_line(client: LeagueClient) -> tuple[int, str]:
    """(rated games, one line about the league) from the leaderboard."""
    rows = client.leaderboard()
    games = sum(row.games for row in rows) // 2
    trained = sum(1 for row in rows if row.kind == "dreamer")
    top = ", ".join(f"{row.name} {row.score:.1f}" for row in rows[:3])
    try:
        stats = client.job_stats()
        counts = stats.counts
        jobs = (f"jobs {counts.get('queued', 0)} queued / {counts.get('leased', 0)} leased / "
                f"{counts.get('done', 0)} done, {len(stats.workers)} workers live; ")
    except LeagueClientError:
        jobs = ""
    return games, f"{len(rows)} in the pool ({trained} trained), {games} games rated; {jobs}top: {top}"


class StatusDisplay(ProgressLog):
    """The league's status: a counter line of rated games on a terminal, log lines otherwise.

    The first status sets where the count starts, so its rate counts only the games rated since
    this start, not those of earlier runs of the same league."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("league", "game", **kwargs)
        self.games: int | None = None

    def update(self, games: int, line: str) -> None:
        if self.on_terminal:
            top = line.split("; top: ")[-1]
            if self.games is None:
                self.start_count(games)
                self.advance(0, top)
            else:
                self.advance(games - self.games, top)
        else:
            self.say(line)
        self.games = games


# -- the command ---------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    _check_args(args)
    settings = read_settings(Settings)
    data_dir = (args.data_dir or settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_dir = data_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    token = _admin_token(settings, data_dir)
    env = {**os.environ, "LEAGUE_DATA_DIR": str(data_dir), "LEAGUE_ADMIN_TOKEN": token,
           "PYTHONUNBUFFERED": "1"}
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    if args.gateway_port and not settings.gateway_url:  # what GET /api/gateway tells `league connect`
        env["LEAGUE_GATEWAY_URL"] = f"ws://{url.split('://')[1].rsplit(':', 1)[0]}:{args.gateway_port}"

    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        # nothing but flags here: a print could fail on a closed pipe, or re-enter a print it interrupted
        received.append(signum)
        stop.set()

    display = StatusDisplay()
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    supervisor = Supervisor(log_dir, say=display.say)
    client = LeagueClient(url, token, retry=RetryPolicy(attempts=2, base_delay=0.2))
    token_ids: list[int] = []
    try:
        display.say(f"league data in {data_dir} (logs in {log_dir})")
        _migrate(env, log_dir)
        supervisor.start(ChildSpec("server", [*LEAGUE, "serve", "--host", args.host, "--port", str(args.port)],
                                   env=env))
        health = _wait_for_server(client, supervisor, 120.0, stop)
        if health is None:  # stopped while the server was starting
            return 0
        display.say(f"server up: game {health.game_version}, schema {health.schema_version}")
        register_checkpoints(client, args.checkpoints, say=display.say)
        tokens, token_ids = child_tokens(client, token, child_names(args))
        for spec in _children(args, url, env, data_dir, tokens):
            supervisor.start(spec)
        display.say(f"{args.trainers} trainer(s), {args.match_workers} match worker(s) started")
        where = "$LEAGUE_ADMIN_TOKEN" if settings.admin_token else data_dir / "admin-token"
        display.say(f"dashboard: {url}/   (admin token: {where}; Ctrl-C stops)")
        _watch(args, client, supervisor, display, stop)
    finally:
        if received:
            display.say(f"{signal.Signals(received[0]).name}: stopping the league")
        display.say("stopping match workers, trainer(s), server")
        workers = [name for name in supervisor.children if name.startswith(("match-worker", "gateway"))]
        trainers = [name for name in supervisor.children if name.startswith("trainer")]
        supervisor.stop(workers, timeout=30)
        supervisor.stop(trainers, timeout=30)
        for token_id in token_ids:
            try:
                client.revoke_token(token_id)
            except LeagueClientError:
                pass  # the server is gone already; the token dies with nobody using it
        supervisor.stop(["server"], timeout=15)
        leftovers = supervisor.leftovers()
        client.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        display.close()  # the counter line goes first, so nothing is left below the last message
        display.say("stopped; no process left" if not leftovers else f"processes left: {leftovers}")
    return 0


def _watch(args, client: LeagueClient, supervisor: Supervisor, display: StatusDisplay, stop: threading.Event):
    every = args.status_every or (2.0 if display.on_terminal else 30.0)
    started = time.monotonic()
    next_status = started
    while not stop.is_set():
        for message in supervisor.check():
            display.say(message)
        if "server" not in supervisor.running():
            raise CommandError(f"the server stopped for good (log: {supervisor.log_path('server')})")
        now = time.monotonic()
        if now >= next_status:
            try:
                display.update(*status_line(client))
            except LeagueClientError as error:
                display.say(f"status unavailable: {error}")
            next_status = now + every
        if args.duration is not None and now - started >= args.duration:
            display.say(f"ran for {args.duration:.0f} s; stopping")
            break
        stop.wait(0.5)
