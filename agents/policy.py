"""A trained agent as a policy for games: `reset(n)`, `act(obs)`, single or batched, player-one view."""

from __future__ import annotations

import numpy as np
import torch

from agents.hockey_dreamer import HockeyDreamer


class DreamerPolicy:
    """Acts with the actor's mode (deterministic by default) on the RSSM's filtered state.

    Batched protocol: `reset(n)` starts n games; `act(obs (n, 18))` returns (n, 4). When some games
    have finished, the caller either passes the rows of the games still running in their original
    order together with their indices (`act(obs, rows=...)`) or calls `keep_rows(rows)` first.
    A single observation (18,) gives a single action (4,).
    """

    def __init__(self, agent: HockeyDreamer, deterministic: bool = True, name: str = "dreamer"):
        self.agent = agent
        self.deterministic = deterministic
        self.name = name
        self.agent.eval()
        self._rows = 0

    def reset(self, n: int = 1) -> None:
        self.agent.reset(n)
        self._rows = n

    def keep_rows(self, rows) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.agent.keep_rows(rows)
        self._rows = len(rows)

    def act(self, obs: np.ndarray, rows=None) -> np.ndarray:
        obs = np.asarray(obs, dtype=np.float64)
        if obs.shape[-1] != 18 or obs.ndim not in (1, 2):
            raise ValueError(f"observations must have shape (18,) or (n, 18), got {obs.shape}")
        n = 1 if obs.ndim == 1 else obs.shape[0]
        if rows is not None:
            self.keep_rows(rows)
        elif self._rows != n:
            if self._rows and n < self._rows:
                # Games finished and the caller did not say which: keep the first n memories.
                self.keep_rows(np.arange(n))
            else:
                self.reset(n)
        with torch.no_grad():
            action = self.agent.act(obs, deterministic=self.deterministic)
        return np.asarray(action, dtype=np.float64)
