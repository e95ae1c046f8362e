"""Evaluation against the weak and strong basic opponents."""

from __future__ import annotations

from tqdm import tqdm

from league.hockey.batch import basic_opponent_policy, play_games

EVAL_SEED_BASE = 1_000_000_000  # evaluation games use their own seeds, never the training ones


def evaluate(policy, games: int, weak: bool, parallel: int = 50, progress: bool = False,
             seed_base: int = EVAL_SEED_BASE) -> dict[str, float]:
    """Play `games` games as player one against a basic opponent with the game's `play_games`
    (seeds seed_base, seed_base + 1, ...; player one starts every other game). Returns wins, draws,
    losses and rates."""
    if games < 1:
        raise ValueError(f"games must be at least 1, got {games}")
    counts = {1: 0, 0: 0, -1: 0}
    opponent = basic_opponent_policy(weak=weak, seed=seed_base)
    with tqdm(total=games, desc=f"vs {'weak' if weak else 'strong'}", disable=None if progress else True) as bar:
        for start in range(0, games, parallel):
            seeds = list(range(seed_base + start, seed_base + min(games, start + parallel)))
            for result in play_games(policy, opponent, seeds, one_starting=[s % 2 == 0 for s in seeds]):
                counts[result.winner] += 1
            bar.update(len(seeds))
    return {"games": games, "wins": counts[1], "draws": counts[0], "losses": counts[-1],
            "win_rate": counts[1] / games, "loss_rate": counts[-1] / games}


def evaluate_both(policy, games: int, progress: bool = False) -> dict[str, dict]:
    return {name: evaluate(policy, games, weak, progress=progress)
            for name, weak in (("weak", True), ("strong", False))}
