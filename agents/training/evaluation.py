"""Evaluation during and after training: the basic opponents from both sides, and the selection suite.

`evaluate` plays a basic opponent from both sides (mirrored: each seed once as player one, once as
player two). `evaluate_selection` plays the trainer's selection suite (`config.selection_suite`,
entries of `agents.evaluation.suite`) on the selection seeds and scores it by its worst entry.
"""

from __future__ import annotations

from collections.abc import Sequence

from tqdm import tqdm

from agents.evaluation.play import play_sides
from agents.evaluation.suite import (
    SELECTION_SEED_BASE,
    SUITE_SEED_BASE,
    run_entries,
    selection_entries,
    worst,
)
from league.hockey.batch import basic_opponent_policy

EVAL_SEED_BASE = SELECTION_SEED_BASE  # the trainer's evaluations (they choose the checkpoint)
REPORT_SEED_BASE = SUITE_SEED_BASE  # `league eval`: seeds no selection has seen


def evaluate(policy, games: int, weak: bool, parallel: int = 50, progress: bool = False,
             seed_base: int = REPORT_SEED_BASE, sides: Sequence[int] = (1, 2)) -> dict:
    """Play `games` games against a basic opponent: `games / len(sides)` seeds from `seed_base` on,
    from each of `sides` (player one starts on even seeds). Returns counts, rates and 95 % intervals
    from the policy's side (`as_one` / `as_two` split them by side)."""
    if games < 1:
        raise ValueError(f"games must be at least 1, got {games}")
    seeds = list(range(seed_base, seed_base + max(1, games // len(sides))))
    with tqdm(total=len(seeds) * len(sides), desc=f"vs {'weak' if weak else 'strong'}",
              disable=None if progress else True) as bar:
        tally = play_sides(policy, lambda: basic_opponent_policy(weak=weak, seed=seed_base), seeds, sides=sides,
                           parallel=parallel, on_games=bar.update)
    return tally.to_dict()


def evaluate_both(policy, games: int, progress: bool = False, seed_base: int = REPORT_SEED_BASE) -> dict[str, dict]:
    return {name: evaluate(policy, games, weak, progress=progress, seed_base=seed_base)
            for name, weak in (("weak", True), ("strong", False))}


def evaluate_selection(policy, names: str, games: int, seed_base: int = SELECTION_SEED_BASE) -> dict:
    """The selection suite: {entry name: result} plus `score` (the worst entry's score) and `worst_entry`."""
    results = run_entries(policy, selection_entries(names), games, seed_base=seed_base)
    for result in results.values():
        result.pop("style", None)  # the named styles' parameters are in the code, not in every saved evaluation
    summary = worst(results)
    return {**results, "score": summary["score"], "worst_entry": summary["entry"]}
