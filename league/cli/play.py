"""`league play`: games between two built-in basic opponents, results printed.

    league play --games 20 --one strong --two weak
"""

from __future__ import annotations

import argparse

from league.hockey.batch import basic_opponent_policy, play_games
from league.hockey.constants import Mode

OPPONENTS = {"weak": True, "strong": False}
MODES = {"normal": Mode.NORMAL, "shooting": Mode.TRAIN_SHOOTING, "defense": Mode.TRAIN_DEFENSE}


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--games", type=_positive, default=10, help="number of games (default 10)")
    parser.add_argument("--one", choices=OPPONENTS, default="strong", help="player one (default strong)")
    parser.add_argument("--two", choices=OPPONENTS, default="weak", help="player two (default weak)")
    parser.add_argument("--mode", choices=MODES, default="normal", help="game mode (default normal)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first game; game i uses seed + i")


def run(args: argparse.Namespace) -> int:
    seeds = range(args.seed, args.seed + args.games)
    results = play_games(
        basic_opponent_policy(OPPONENTS[args.one], seed=args.seed),
        basic_opponent_policy(OPPONENTS[args.two], seed=args.seed + 1),
        seeds,
        mode=MODES[args.mode],
        progress=True,
    )
    wins = sum(result.winner == 1 for result in results)
    losses = sum(result.winner == -1 for result in results)
    draws = len(results) - wins - losses
    steps = sum(result.length for result in results)
    print(f"{args.one} basic opponent (player one) vs {args.two} basic opponent (player two), "
          f"{len(results)} {args.mode} games, {steps} steps")
    print(f"player one: {wins} wins, {draws} draws, {losses} losses")
    return 0
