"""The `league` command: one entry point, one module per subcommand.

Each subcommand lives in its own module, imported only when it runs (so `league --help`
stays fast and a worker never imports the server). A subcommand module exposes
`configure(parser)` to add its arguments and `run(args) -> int` to do its work.
Expected failures raise `CommandError`: the message is printed, the exit code is non-zero,
and no traceback is shown.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("league.workers.up", "run the whole league on this machine: server, trainer, match workers"),
    "play": ("league.hockey.play_cli", "play games between two built-in opponents and print the results"),
    "train": ("agents.train_cli", "train the Dreamer agent (alone or connected to a league server)"),
    "eval": ("agents.eval_cli", "evaluate a checkpoint against the weak and strong basic opponents"),
    "db": ("league.db_cli", "database schema: `league db upgrade`"),
    "serve": ("api.serve_cli", "start the league server (REST API and dashboard)"),
    "token": ("api.token_cli", "create, list, revoke and rotate API tokens"),
    "match-worker": ("league.workers.match_worker", "claim match jobs from a server and play them"),
}


class CommandError(Exception):
    """An expected failure: bad input, unreachable server, wrong token. Printed without a traceback."""


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
    module_name, help_ = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"league {name}", description=help_)
    module.configure(parser)
    args = parser.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except CommandError as error:
        print(f"league {name}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"league {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
