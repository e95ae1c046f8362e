"""The game's built-in basic opponents (weak and strong) as batched policies."""

from __future__ import annotations

from league.hockey.batch import basic_opponent_policy


def basic_policy(weak: bool, seed: int | None = None):
    """The game's batched basic opponent (`league.hockey.batch.basic_opponent_policy`)."""
    return basic_opponent_policy(weak=weak, seed=seed)
