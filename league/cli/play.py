"""`league play`: games between two players, the tally printed, and a game saved as a GIF if asked.

A player is a built-in basic opponent (`weak`, `strong`) or a file: a checkpoint `.safetensors`
(its `.json` beside it gives the config) or an `.onnx` policy, built through the policy kinds
(`league.core.kinds.build_policy`, which checks the file first), so an agent can be watched without
a server:

    league play --games 20 --one strong --two weak
    league play --one runs/me/checkpoints/best.safetensors --two strong --save game.gif
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from league.cli.errors import CommandError
from league.hockey.animation import gif_bytes
from league.hockey.batch import basic_opponent_policy, play_games
from league.hockey.constants import Mode

OPPONENTS = {"weak": True, "strong": False}
MODES = {"normal": Mode.NORMAL, "shooting": Mode.TRAIN_SHOOTING, "defense": Mode.TRAIN_DEFENSE}
FILE_KINDS = {".safetensors": "dreamer", ".onnx": "onnx"}


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _player(text: str) -> str:
    if text in OPPONENTS or Path(text).suffix in FILE_KINDS:
        return text
    raise argparse.ArgumentTypeError(
        f"expected weak, strong, a checkpoint .safetensors (its .json beside it) or an .onnx file, got {text!r}")


def configure(parser: argparse.ArgumentParser) -> None:
    players = "weak or strong (the basic opponents), a checkpoint .safetensors (its .json beside it) or an .onnx file"
    parser.add_argument("--games", type=_positive, default=10, help="number of games (default: 10)")
    parser.add_argument("--one", type=_player, default="strong", metavar="PLAYER",
                        help=f"player one: {players} (default: strong)")
    parser.add_argument("--two", type=_player, default="weak", metavar="PLAYER",
                        help=f"player two: {players} (default: weak)")
    parser.add_argument("--mode", choices=MODES, default="normal", help="game mode (default: normal)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first game; game i uses seed + i (default: 0)")
    parser.add_argument("--save", type=Path, default=None, metavar="GAME.gif",
                        help="write the first game as an animated GIF (needs Pillow: the render extra)")
    parser.add_argument("--gif-every", type=_positive, default=1, metavar="N",
                        help="with --save: keep every Nth frame (2 halves the file; default: 1, real time)")


def _file_snapshot(path: Path) -> tuple[str, dict[str, Any]]:
    """The kind and config of a policy file: `.onnx` has none, a `.safetensors` has its `.json` beside it."""
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    kind = FILE_KINDS[path.suffix]
    if kind == "onnx":
        return kind, {}
    sidecar = path.with_suffix(".json")
    try:
        meta = json.loads(sidecar.read_text())
    except FileNotFoundError:
        raise CommandError(f"{path} has no {sidecar.name} beside it (the config it was trained with)") from None
    except (OSError, ValueError) as error:
        raise CommandError(f"{sidecar}: cannot read it as JSON ({error})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict):
        raise CommandError(f"{sidecar}: expected a JSON object with a 'config' object")
    return str(meta.get("kind", kind)), meta["config"]


def _load(player: str, seed: int) -> tuple[Any, str]:
    """A batched policy for `player` and how to call it in messages."""
    if player in OPPONENTS:
        return basic_opponent_policy(OPPONENTS[player], seed=seed), f"{player} basic opponent"
    # the kinds load torch (dreamer) and onnxruntime: imported only when a file plays
    from league.core.kinds import build_policy
    from league.core.schemas import SnapshotRef

    path = Path(player)
    kind, config = _file_snapshot(path)
    try:
        data = path.read_bytes()
        policy = build_policy(SnapshotRef(id=0, name=path.name, kind=kind, sha256=None, config=config), data,
                              seed=seed)
    except (OSError, ValueError) as error:
        raise CommandError(f"{path}: {error}") from None
    return policy, path.name


def run(args: argparse.Namespace) -> int:
    if args.save is not None and args.save.suffix.lower() != ".gif":
        raise CommandError(f"--save {args.save}: only .gif files are written (name it GAME.gif)")
    seeds = range(args.seed, args.seed + args.games)
    one, one_name = _load(args.one, args.seed)
    two, two_name = _load(args.two, args.seed + 1)
    try:
        results = play_games(one, two, seeds, mode=MODES[args.mode], progress=True, record=args.save is not None)
    finally:
        for policy in (one, two):
            if hasattr(policy, "close"):
                policy.close()
    wins = sum(result.winner == 1 for result in results)
    losses = sum(result.winner == -1 for result in results)
    draws = len(results) - wins - losses
    steps = sum(result.length for result in results)
    print(f"{one_name} (player one) vs {two_name} (player two), {len(results)} {args.mode} games, {steps} steps")
    print(f"player one: {wins} wins, {draws} draws, {losses} losses")
    if args.save is not None and results[0].record is not None:
        _save(args, results[0].record, (one_name, two_name))
    return 0


def _save(args: argparse.Namespace, record: dict[str, Any], names: tuple[str, str]) -> None:
    try:
        data = gif_bytes(record, names, every=args.gif_every)
        args.save.write_bytes(data)
    except ImportError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write {args.save}: {error}") from None
    print(f"game 1 (seed {args.seed}, {record['length']} steps) written to {args.save} ({len(data) // 1024} KiB)")
