"""The game's built-in basic opponents (weak and strong) as batched policies."""

from __future__ import annotations

import numpy as np


class BatchedBasicOpponent:
    """One `league.hockey.BasicOpponent` per game, behind the batched policy protocol."""

    def __init__(self, weak: bool, seed: int | None = None):
        self.weak = weak
        self._rng = np.random.default_rng(seed)
        self._players = []

    def reset(self, n: int = 1) -> None:
        from league.hockey import BasicOpponent

        self._players = [BasicOpponent(weak=self.weak, seed=int(self._rng.integers(2**31))) for _ in range(n)]

    def keep_rows(self, rows) -> None:
        self._players = [self._players[int(i)] for i in rows]

    def act(self, obs: np.ndarray) -> np.ndarray:
        obs = np.atleast_2d(obs)
        if len(obs) != len(self._players):
            self.reset(len(obs))
        return np.stack([player.act(row) for player, row in zip(self._players, obs, strict=True)])


def basic_policy(weak: bool, seed: int | None = None):
    """The game's batched basic opponent (`league.hockey.batch.basic_opponent_policy` when present)."""
    try:
        from league.hockey.batch import basic_opponent_policy
    except ImportError:
        return BatchedBasicOpponent(weak, seed)
    return basic_opponent_policy(weak=weak, seed=seed)
