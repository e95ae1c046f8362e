"""An ONNX model as a batched policy for games: its process, its recurrent state and its time budget.

`OnnxPolicy` follows the `league.hockey.batch.Policy` protocol. The model runs in its own limited
process (`sandbox.OnnxProcess`), started on first use and again after it was killed. A
model with a recurrent state gets zeros at each game's start; the worker keeps each game's
state between steps and drops the rows of finished games.

Time: one batched step may take at most `step_limit_ms`, and the steps of one batch of games
together at most `step_budget_ms` per step plus `step_grace_ms` (room for a slow first step or a
busy machine). A policy over either bound is stopped and `act` raises `PolicyTimeout`, which the
match runner turns into forfeits of that batch's games; the next batch starts a fresh process.
"""

from __future__ import annotations

import time

import numpy as np

from league.core.kinds.onnx.check import OBS_SIZE
from league.core.kinds.onnx.limits import OnnxLimits
from league.core.kinds.onnx.sandbox import ModelFailed, ModelTimeout, OnnxProcess


class PolicyTimeout(Exception):
    """The model used more time than its budget allows."""


class OnnxPolicy:
    """A batched policy backed by an ONNX model (input `obs`, output `action`, optionally `state`)."""

    def __init__(self, data: bytes, state_size: int, limits: OnnxLimits | None = None, name: str = "onnx"):
        self.data = bytes(data)
        self.state_size = int(state_size)
        self.limits = limits or OnnxLimits()
        self.name = name
        self.state = np.zeros((0, self.state_size), np.float32)
        self.steps = 0
        self.spent = 0.0  # seconds of the current batch of games
        self._process: OnnxProcess | None = None

    def reset(self, n: int) -> None:
        """Start n games: zero states, a fresh time budget, the model's process started if needed."""
        if self._process is None or not self._process.alive:
            self.close()
            self._process = OnnxProcess(self.data, self.state_size, memory_mb=self.limits.memory_mb,
                                        load_seconds=self.limits.load_seconds)
        self.state = np.zeros((n, self.state_size), np.float32)
        self.steps = 0
        self.spent = 0.0

    def drop(self, rows) -> None:
        """Forget the games at these rows of the last batch (they ended)."""
        self.state = np.delete(self.state, np.asarray(rows, dtype=np.int64), axis=0)

    def act(self, obs: np.ndarray) -> np.ndarray:
        obs = np.asarray(obs, dtype=np.float32)
        if obs.ndim != 2 or obs.shape[1] != OBS_SIZE or len(obs) != len(self.state):
            raise ValueError(f"observations of shape {obs.shape} for {len(self.state)} games")
        if self._process is None:
            raise RuntimeError("act before reset")
        limits = self.limits
        allowed = (self.steps + 1) * limits.step_budget_ms / 1e3 + limits.step_grace_ms / 1e3 - self.spent
        timeout = min(limits.step_limit_ms / 1e3, max(allowed, 0.0))
        begin = time.perf_counter()
        try:
            action, state = self._process.run(obs, self.state, timeout)
        except ModelTimeout:
            self.close()
            raise PolicyTimeout(self._over_budget(time.perf_counter() - begin)) from None
        except ModelFailed:
            if not self._process.alive:
                self.close()
            raise
        self.spent += time.perf_counter() - begin
        self.steps += 1
        self.state = state.copy()
        return action

    def _over_budget(self, step: float) -> str:
        limits = self.limits
        if step * 1e3 >= limits.step_limit_ms * 0.999:
            return f"one step took more than {limits.step_limit_ms:g} ms (after {self.steps} steps)"
        return (f"its first {self.steps + 1} steps used {self.spent + step:.2f} s, over the budget of "
                f"{limits.step_budget_ms:g} ms a step plus {limits.step_grace_ms:g} ms")

    def close(self) -> None:
        """Stop the model's process (the next `reset` starts it again)."""
        if self._process is not None:
            self._process.close()
            self._process = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 (interpreter shutdown: the child ends with its pipe anyway)
            pass
