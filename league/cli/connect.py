"""`league connect`: play an agent of one's own in a league, from this machine, through its gateway."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

from league.cli.errors import CommandError
from league.remote.client import Refused, connect


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", default=os.environ.get("LEAGUE_SERVER_URL"),
                        help="the league's HTTP address, e.g. https://league.example.org (env LEAGUE_SERVER_URL); "
                             "the gateway's address is asked from it")
    parser.add_argument("--gateway", default=None, help="the gateway's ws:// or wss:// address (skips asking)")
    parser.add_argument("--agent", required=True, help="the lineage to play as (yours, or new: it becomes yours)")
    parser.add_argument("--version", required=True,
                        help="the version: a new one is a new snapshot with a fresh rating")
    parser.add_argument("--policy", required=True,
                        help="module:factory, a callable returning an object with act(obs_batch) -> actions, "
                             "e.g. my_agent:make or league.remote.examples:basic")
    parser.add_argument("--arg", action="append", default=[], help="an argument to the factory (repeatable)")


def load_factory(spec: str) -> Any:
    """The callable named by `module:attribute` (the current directory is on the path)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise CommandError(f"--policy is module:factory, got {spec!r}")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise CommandError(f"cannot import {module_name!r}: {error}") from None
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise CommandError(f"{module_name!r} has no callable {attribute!r}")
    return factory


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("LEAGUE_TOKEN", "").strip()
    if not token:
        raise CommandError("set LEAGUE_TOKEN to a trainer token of your user (`league token create --user YOU "
                           "--role trainer`)")
    if not args.server and not args.gateway:
        raise CommandError("give --server URL (or --gateway ws://...)")
    policy = load_factory(args.policy)(*args.arg)
    if not callable(getattr(policy, "act", None)) and not callable(getattr(policy, "act_games", None)):
        raise CommandError(f"{args.policy} returned {type(policy).__name__}, which has no act(obs_batch)")
    try:
        connect(args.server, gateway=args.gateway, agent=args.agent, version=args.version, policy=policy, token=token)
    except Refused as error:
        raise CommandError(f"the gateway refused: {error}") from None
    except OSError as error:
        raise CommandError(f"cannot ask {args.server} for its gateway: {error}") from None
    return 0
