"""The basic opponent (weak or strong): a PD controller chasing the puck, and its one-player game.

`basic_policy` is the decision as a pure function of a view and a phase; `BasicOpponent`
keeps the phase (a random walk) and calls it, as upstream's `BasicOpponent.act` does.
"""

from __future__ import annotations

import math
import random

import numpy as np
from gymnasium import spaces

from .constants import MAX_ANGLE, SCALE, Mode
from .env import HockeyEnv

_GOAL_LINE_X = -210 / SCALE
_KD = 0.5
_BRAKE_TIME = 0.1


def _brakes(error: float, velocity: float, limit: float) -> bool:
    """Whether the player would reach the target within `limit` at its current speed."""
    denominator = velocity + 0.01
    if denominator == 0.0:
        return False  # error / 0 is infinite or NaN: no braking (as NumPy decides)
    return abs(error / denominator) < limit


def _clip(value: float) -> float:
    return 1.0 if value > 1.0 else -1.0 if value < -1.0 else value


def basic_policy(obs, phase: float, weak: bool, keep_mode: bool = True) -> np.ndarray:
    """The basic opponent's action for its own view `obs` (player-one layout).

    `phase` is the phase for this action (after this act's random increment). Returns 4 values
    (force x, force y, torque, shoot) in keep mode, else 3.
    """
    o = obs.tolist() if isinstance(obs, np.ndarray) else list(obs)
    x, y, angle, vx, vy, omega = o[0:6]
    puck_x, puck_y, puck_vx, puck_vy = o[12:16]
    kp = 0.5 if weak else 10.0
    if puck_vx < 30.0 / SCALE:
        dist = math.sqrt((x - puck_x) ** 2 + (y - puck_y) ** 2)
        if x < puck_x and abs(y - puck_y) < 30.0 / SCALE:
            target_x, target_y = puck_x + 0.2, puck_y + puck_vy * dist * 0.1
        else:
            target_x, target_y = _GOAL_LINE_X, puck_y
    else:
        target_x, target_y = _GOAL_LINE_X, 0.0
    target_angle = MAX_ANGLE * math.sin(phase)
    error_x, error_y, error_angle = target_x - x, target_y - y, target_angle - angle
    action = [
        _clip(error_x * kp - (vx * _KD if _brakes(error_x, vx, _BRAKE_TIME) else 0.0)),
        _clip(error_y * (kp / 5) - (vy * _KD if _brakes(error_y, vy, _BRAKE_TIME) else 0.0)),
        _clip(error_angle * (kp / 2) - (omega * _KD if _brakes(error_angle, omega, _BRAKE_TIME * 10) else 0.0)),
    ]
    if keep_mode:
        action.append(1.0 if 0 < o[16] < 7 else 0.0)
    return np.array(action)


class BasicOpponent:
    """Upstream's basic opponent: `act(obs)` on its own view; weak by default, as upstream.

    Its phase starts at U(0, pi) and every act adds U(0, 0.2). `seed` makes that reproducible
    (upstream draws from NumPy's global generator).
    """

    def __init__(self, weak: bool = True, keep_mode: bool = True, seed: int | None = None) -> None:
        self.weak = bool(weak)
        self.keep_mode = bool(keep_mode)
        self.seed(seed)

    def seed(self, seed: int | None = None) -> None:
        """Restart the random phase from `seed` (fresh entropy when None)."""
        self._random = random.Random(seed)
        self.phase = self._random.uniform(0, math.pi)

    def act(self, obs, verbose: bool = False) -> np.ndarray:
        self.phase += self._random.uniform(0, 0.2)
        return basic_policy(obs, self.phase, self.weak, self.keep_mode)


class HockeyEnv_BasicOpponent(HockeyEnv):  # noqa: N801 (upstream's public name)
    """One player (4 actions) against the basic opponent, which plays player two (strong by default)."""

    def __init__(self, mode: Mode | int | str = Mode.NORMAL, weak_opponent: bool = False,
                 render_mode: str | None = None) -> None:
        self.opponent = BasicOpponent(weak=weak_opponent)
        super().__init__(mode=mode, keep_mode=True, render_mode=render_mode)
        self.action_space = spaces.Box(-1, +1, (4,), dtype=np.float32)

    def reset(self, one_starting=None, mode=None, seed=None, options=None):
        """As `HockeyEnv.reset`; a `seed` also seeds the opponent's phase."""
        if seed is not None:
            self.opponent.seed(int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]))
        return super().reset(one_starting=one_starting, mode=mode, seed=seed, options=options)

    def step(self, action):
        """Player one's 4 actions; the opponent answers on player two's view."""
        own = np.asarray(action, dtype=np.float64)
        if own.shape != (4,):
            raise ValueError(f"action must have shape (4,) (force x, force y, torque, shoot), got {own.shape}")
        if not np.isfinite(own).all():
            raise ValueError(f"action must be finite, got {own.tolist()} (NaN or infinite)")
        opponent_action = self.opponent.act(self.obs_agent_two())
        return super().step(np.concatenate([own, opponent_action]))


def basic_policy_batch(obs: np.ndarray, phases: np.ndarray, weak: bool) -> np.ndarray:
    """`basic_policy` for a batch: (n, 18) own views and (n,) phases -> (n, 4) actions (keep mode)."""
    obs = np.asarray(obs, dtype=np.float64)
    position, velocity = obs[:, 0:3], obs[:, 3:6]
    puck, puck_velocity = obs[:, 12:14], obs[:, 14:16]
    kp = 0.5 if weak else 10.0
    dist = np.sqrt(np.sum((position[:, :2] - puck) ** 2, axis=1))
    behind = (position[:, 0] < puck[:, 0]) & (np.abs(position[:, 1] - puck[:, 1]) < 30.0 / SCALE)
    catching = puck_velocity[:, 0] < 30.0 / SCALE
    target = np.empty_like(position)
    target[:, 0] = np.where(catching & behind, puck[:, 0] + 0.2, _GOAL_LINE_X)
    kick_y = puck[:, 1] + puck_velocity[:, 1] * dist * 0.1
    target[:, 1] = np.where(catching, np.where(behind, kick_y, puck[:, 1]), 0.0)
    target[:, 2] = MAX_ANGLE * np.sin(phases)
    error = target - position
    with np.errstate(divide="ignore", invalid="ignore"):
        brake = np.abs(error / (velocity + 0.01)) < [_BRAKE_TIME, _BRAKE_TIME, _BRAKE_TIME * 10]
    action = np.empty((len(obs), 4))
    action[:, :3] = np.clip(error * [kp, kp / 5, kp / 2] - velocity * brake * _KD, -1, 1)
    action[:, 3] = (obs[:, 16] > 0) & (obs[:, 16] < 7)
    return action
