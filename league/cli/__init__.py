"""The `league` command: the one composition root, one module per subcommand.

Every subcommand module is imported here by a plain import (so the import contract sees it)
and keeps its own top-level imports light: torch, the server and the database are imported
inside `run`, so `league --help` stays fast and a worker never loads the server. A subcommand
module exposes `configure(parser)` to add its arguments and `run(args) -> int` to do its work.
Expected failures raise `CommandError`: the message is printed, the exit code is non-zero,
and no traceback is shown.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from league.cli import (
    compare,
    connect,
    db,
    eval,
    export_onnx,
    gateway,
    match_worker,
    play,
    register,
    serve,
    token,
    tournament,
    train,
    up,
    user,
)
from league.cli.errors import CommandError

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[ModuleType, str]] = {
    "up": (up, "run the whole league on this machine: server, trainer, match workers"),
    "play": (play, "play games between two players (basic opponents, checkpoints, .onnx files); save one as a GIF"),
    "train": (train, "train the Dreamer agent (alone or connected to a league server)"),
    "eval": (eval, "evaluate a checkpoint against the weak and strong basic opponents, or the whole suite"),
    "compare": (compare, "compare two suite results: entry by entry, and whether the second is better"),
    "db": (db, "database schema: `league db upgrade`"),
    "serve": (serve, "start the league server (REST API and dashboard)"),
    "user": (user, "create and list the league's users (they own agents and hold tokens)"),
    "token": (token, "create, list, revoke and rotate API tokens (each belongs to a user)"),
    "match-worker": (match_worker, "claim match jobs from a server and play them"),
    "export-onnx": (export_onnx, "export a Dreamer checkpoint as an ONNX policy (its RSSM memory as the state)"),
    "register": (register, "upload a policy (.onnx, or a Dreamer .safetensors with its .json) to a league server"),
    "gateway": (gateway, "run the agent gateway: remote agents connect to it and play their matches"),
    "connect": (connect, "play your own agent in a league from this machine, through its gateway"),
    "tournament": (tournament, "create, list, show, pause, resume, cancel and export tournaments (over HTTP)"),
}

__all__ = ["COMMANDS", "CommandError", "main"]


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: league COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "`league COMMAND --help` describes a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"league: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module, help_ = COMMANDS[name]
    parser = argparse.ArgumentParser(prog=f"league {name}", description=help_)
    try:
        module.configure(parser)  # option defaults may come from settings read from the environment
        args = parser.parse_args(rest)
        return int(module.run(args) or 0)
    except CommandError as error:
        print(f"league {name}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"league {name}: interrupted", file=sys.stderr)
        return 130
