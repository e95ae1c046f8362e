"""Evaluation against the weak and strong basic opponents."""

from __future__ import annotations

from tqdm import tqdm

from agents.opponents.basic import basic_policy
from agents.training.games import LockstepGames

EVAL_SEED_BASE = 1_000_000_000  # evaluation games use their own seeds, never the training ones


def evaluate(policy, games: int, weak: bool, parallel: int = 50, progress: bool = False,
             seed_base: int = EVAL_SEED_BASE) -> dict[str, float]:
    """Play `games` games as player one against a basic opponent (seeds seed_base, seed_base+1, ...;
    the starting side alternates by the game's rule). Returns wins, draws, losses and rates."""
    if games < 1:
        raise ValueError(f"games must be at least 1, got {games}")
    runner = LockstepGames(min(parallel, games))
    counts = {1: 0, 0: 0, -1: 0}
    opponent = basic_policy(weak=weak, seed=seed_base)
    with tqdm(total=games, desc=f"vs {'weak' if weak else 'strong'}", disable=None if progress else True) as bar:
        done = 0
        while done < games:
            seeds = list(range(seed_base + done, seed_base + min(games, done + len(runner.envs))))
            for game in runner.play(policy, opponent, seeds, keep_trajectories=False):
                counts[game.winner] += 1
            done += len(seeds)
            bar.update(len(seeds))
    return {"games": games, "wins": counts[1], "draws": counts[0], "losses": counts[-1],
            "win_rate": counts[1] / games, "loss_rate": counts[-1] / games}


def evaluate_both(policy, games: int, progress: bool = False) -> dict[str, dict]:
    return {name: evaluate(policy, games, weak, progress=progress)
            for name, weak in (("weak", True), ("strong", False))}
