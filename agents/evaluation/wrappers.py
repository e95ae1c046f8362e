"""Wrappers around an evaluated policy: observation noise and observation latency.

Both keep the batched `Policy` protocol and pass `drop(rows)` / `keep_rows(rows)` on to the
wrapped policy, so a stateful policy (a Dreamer's memory) stays aligned with its games."""

from __future__ import annotations

import numpy as np


def _tell(policy, rows: np.ndarray, batch_size: int) -> None:
    if hasattr(policy, "drop"):
        policy.drop(rows)
    elif hasattr(policy, "keep_rows"):
        policy.keep_rows(np.setdiff1d(np.arange(batch_size), rows))


class NoisyObservations:
    """Adds Gaussian noise (standard deviation `sigma`) to every observed value but the keep counters."""

    def __init__(self, policy, sigma: float, seed: int | None = 0) -> None:
        self.policy, self.sigma = policy, float(sigma)
        self._rng = np.random.default_rng(seed)
        self._rows = 0

    def reset(self, n: int) -> None:
        self._rows = n
        self.policy.reset(n)

    def drop(self, rows: np.ndarray) -> None:
        _tell(self.policy, rows, self._rows)
        self._rows -= len(rows)

    def act(self, obs: np.ndarray) -> np.ndarray:
        noisy = np.array(obs, dtype=np.float64)
        noisy[:, :16] += self._rng.normal(0, self.sigma, size=(len(noisy), 16))
        return self.policy.act(noisy)


class DelayedObservations:
    """Acts on the observation of `steps` steps ago (the first one repeated at the start of a game)."""

    def __init__(self, policy, steps: int) -> None:
        if steps < 0:
            raise ValueError(f"steps must be >= 0, got {steps}")
        self.policy, self.steps = policy, int(steps)
        self._history: list[np.ndarray] = []

    def reset(self, n: int) -> None:
        self._history = []
        self.policy.reset(n)

    def drop(self, rows: np.ndarray) -> None:
        batch_size = len(self._history[-1]) if self._history else 0
        self._history = [np.delete(h, rows, axis=0) for h in self._history]
        _tell(self.policy, rows, batch_size)

    def act(self, obs: np.ndarray) -> np.ndarray:
        obs = np.array(obs, dtype=np.float64)
        if not self._history:
            self._history = [obs] * self.steps
        self._history.append(obs)
        seen, self._history = self._history[0], self._history[1:]
        return self.policy.act(seen)
