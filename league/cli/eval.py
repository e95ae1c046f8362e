"""`league eval CHECKPOINT --games N`: wins, draws and losses against the weak and strong basic opponents."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from league.cli.errors import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", type=Path, help="a checkpoint's .safetensors file (its .json beside it)")
    parser.add_argument("--games", type=int, default=1000, help="games against each opponent (default 1000)")
    parser.add_argument("--opponent", choices=["both", "weak", "strong"], default="both")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def run(args: argparse.Namespace) -> int:
    import torch

    from agents.checkpoint import load_policy
    from agents.training.evaluation import evaluate

    if args.games < 1:
        raise CommandError("--games must be at least 1")
    if args.threads < 1:
        raise CommandError("--threads must be at least 1")
    torch.set_num_threads(args.threads)
    try:
        policy = load_policy(args.checkpoint)
    except (FileNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from error
    names = ["weak", "strong"] if args.opponent == "both" else [args.opponent]
    results = {name: evaluate(policy, args.games, weak=name == "weak", progress=not args.json) for name in names}
    if args.json:
        print(json.dumps({"checkpoint": str(args.checkpoint), **results}))
        return 0
    print(f"{args.checkpoint}: {args.games} games per opponent, as player one, starting side alternating")
    print(f"{'opponent':<10}{'wins':>7}{'draws':>7}{'losses':>8}{'win %':>8}")
    for name, r in results.items():
        print(f"{name:<10}{r['wins']:>7}{r['draws']:>7}{r['losses']:>8}{100 * r['win_rate']:>8.1f}")
    return 0
