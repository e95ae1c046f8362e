"""Scripted opponents: a parametric family of hand-written styles, and passive and random policies.

Every policy here follows the game's batched `Policy` protocol (`reset(n)`, `act(obs (m, 18))` ->
(m, 4), `drop(rows)` for finished games) on its own view (player-one layout: own position, angle,
velocities at 0:6, the opponent's at 6:12, the puck's position and velocity at 12:16, the keep
counters at 16:18; the own goal is at x = -4.25, the other at +4.25). A seed fixes every random
choice, so a style plays the same games for the same seeds.

A style (`ScriptParams`) attacks the puck while it lies before its attack line and does not come
too fast, else it holds a defence line in front of its goal: it approaches a point behind the
puck on the line to its aiming point, strikes through once close, steers with position and
velocity gains, waves its stick around an aiming angle and shoots a set number of steps after
catching the puck. `sample_params` draws styles from the whole family.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from league.hockey.constants import MAX_ANGLE, MAX_TIME_KEEP_PUCK

GOAL_X = 255 / 60  # the goals' distance from the centre line (m)


@dataclass(frozen=True)
class ScriptParams:
    """One scripted style; `RANGES` gives the family's range of each field."""

    attack_line: float = 0.0  # attack while the puck's x (own view) is below this, else defend
    puck_speed_limit: float = 0.5  # ... and while the puck comes at it slower than this (m/step scale)
    approach_offset: float = 0.3  # the approach point lies this far behind the puck (m)
    lead: float = 0.1  # puck velocity lead of the targets
    strike_radius: float = 0.3  # strike through the puck once this close to the approach point
    push: float = 0.4  # how far through the puck the strike aims (m)
    defence_depth: float = 0.7  # the defence line's distance in front of the own goal (m)
    defence_track: float = 0.8  # how much the defender follows the puck's y (0 stays central)
    defence_width: float = 1.0  # the defender's largest |y| (m)
    kp_x: float = 5.0  # position gain along x
    kp_y: float = 5.0  # position gain along y
    kd: float = 0.5  # velocity gain (damping)
    force_scale: float = 1.0  # largest force, a share of the game's
    stick_amplitude: float = 0.5  # stick wave amplitude, a share of the largest angle
    stick_frequency: float = 0.1  # stick wave phase step per game step (radians)
    aim_y: float = 0.0  # where in the other goal it aims (m from the centre)
    aim_gain: float = 0.0  # how much the stick turns towards the aiming point
    kp_angle: float = 3.0  # stick angle gain
    shoot_delay: int = 0  # steps after catching the puck before it shoots (0 = on contact)
    action_noise: float = 0.0  # standard deviation of noise added to its forces

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


RANGES: dict[str, tuple[float, float]] = {
    "attack_line": (-4.0, 4.5), "puck_speed_limit": (0.0, 1.5), "approach_offset": (0.05, 0.8),
    "lead": (0.0, 0.4), "strike_radius": (0.05, 0.8), "push": (0.0, 1.0), "defence_depth": (0.2, 2.5),
    "defence_track": (0.0, 1.0), "defence_width": (0.2, 2.0), "kp_x": (0.5, 20.0), "kp_y": (0.5, 20.0),
    "kd": (0.0, 2.0), "force_scale": (0.4, 1.0), "stick_amplitude": (0.0, 1.0), "stick_frequency": (0.0, 0.6),
    "aim_y": (-0.8, 0.8), "aim_gain": (0.0, 1.0), "kp_angle": (0.5, 8.0), "shoot_delay": (0, MAX_TIME_KEEP_PUCK - 2),
    "action_noise": (0.0, 0.3),
}


def sample_params(rng: np.random.Generator) -> ScriptParams:
    """A style drawn uniformly from `RANGES` (integer fields uniformly among their integers)."""
    values: dict[str, float] = {}
    for name, (low, high) in RANGES.items():
        if isinstance(getattr(ScriptParams, name), int):
            values[name] = int(rng.integers(int(low), int(high) + 1))
        else:
            values[name] = float(rng.uniform(low, high))
    return ScriptParams(**values)  # type: ignore[arg-type]


def defender() -> ScriptParams:
    """Never attacks: holds a line close in front of its goal, following the puck's y."""
    return ScriptParams(attack_line=-10.0, defence_depth=0.5, defence_track=1.0, stick_amplitude=0.0)


def shooter() -> ScriptParams:
    """Attacks everywhere and shoots the moment it catches the puck, waving its stick."""
    return ScriptParams(attack_line=10.0, puck_speed_limit=10.0, shoot_delay=0, stick_amplitude=0.8,
                        stick_frequency=0.3, kp_x=10.0, kp_y=10.0)


def holder() -> ScriptParams:
    """Attacks its own half, keeps the puck as long as the game allows, aims at a corner."""
    return ScriptParams(attack_line=0.0, shoot_delay=MAX_TIME_KEEP_PUCK - 2, aim_y=0.6, aim_gain=1.0,
                        stick_amplitude=0.1)


NAMED_STYLES = {"defender": defender, "shooter": shooter, "holder": holder}


class ScriptedPolicy:
    """A `ScriptParams` style as a batched policy; `seed` fixes its stick phases and noise."""

    def __init__(self, params: ScriptParams, seed: int | None = 0) -> None:
        self.params = params
        self._rng = np.random.default_rng(seed)
        self.phases = np.zeros(0)

    def reset(self, n: int) -> None:
        self.phases = self._rng.uniform(0, 2 * math.pi, size=n)

    def drop(self, rows: np.ndarray) -> None:
        self.phases = np.delete(self.phases, rows)

    def act(self, obs: np.ndarray) -> np.ndarray:
        p = self.params
        obs = np.asarray(obs, dtype=np.float64)
        if len(obs) != len(self.phases):
            raise ValueError(f"{len(obs)} observations for {len(self.phases)} games")
        position, angle, velocity, omega = obs[:, 0:2], obs[:, 2], obs[:, 3:5], obs[:, 5]
        puck, puck_velocity, keep = obs[:, 12:14], obs[:, 14:16], obs[:, 16]
        aim = np.array([GOAL_X, p.aim_y])
        to_aim = aim - puck
        direction = to_aim / np.maximum(np.linalg.norm(to_aim, axis=1, keepdims=True), 1e-6)
        led = puck + p.lead * puck_velocity
        approach = led - p.approach_offset * direction
        close = np.linalg.norm(approach - position, axis=1) < p.strike_radius
        behind = position[:, 0] < puck[:, 0]
        attack_target = np.where((close & behind)[:, None], led + p.push * direction, approach)
        attack_target[:, 1] = np.where(behind, attack_target[:, 1],
                                       puck[:, 1] + np.sign(position[:, 1] - puck[:, 1] + 1e-9) * 0.4)
        defence_target = np.stack([
            np.full(len(obs), -GOAL_X + p.defence_depth),
            np.clip(p.defence_track * led[:, 1], -p.defence_width, p.defence_width)], axis=1)
        attacking = (puck[:, 0] < p.attack_line) & (puck_velocity[:, 0] > -p.puck_speed_limit)
        target = np.where(attacking[:, None], attack_target, defence_target)
        error = target - position
        force = error * [p.kp_x, p.kp_y] - p.kd * velocity
        if p.action_noise > 0:
            force = force + self._rng.normal(0, p.action_noise, size=force.shape)
        self.phases = self.phases + p.stick_frequency
        aim_angle = np.arctan2(aim[1] - position[:, 1], aim[0] - position[:, 0])
        target_angle = np.clip(p.stick_amplitude * MAX_ANGLE * np.sin(self.phases) + p.aim_gain * aim_angle,
                               -MAX_ANGLE, MAX_ANGLE)
        torque = p.kp_angle * (target_angle - angle) - 0.5 * omega
        shoot = (keep > 0) & (keep <= MAX_TIME_KEEP_PUCK - p.shoot_delay)
        action = np.empty((len(obs), 4))
        action[:, 0:2] = np.clip(force, -1, 1) * p.force_scale
        action[:, 2] = np.clip(torque, -1, 1)
        action[:, 3] = shoot.astype(np.float64)
        return action


class FreshStylesPolicy:
    """A style drawn from the whole family (`sample_params`) for every game: a batch of n games
    plays n styles, each game by its own `ScriptedPolicy` (seeded from `rng` too)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self.policies: list[ScriptedPolicy] = []  # one per game still running, in row order

    @property
    def styles(self) -> list[ScriptParams]:
        """The styles of the games still running, in row order."""
        return [policy.params for policy in self.policies]

    def reset(self, n: int) -> None:
        self.policies = [ScriptedPolicy(sample_params(self._rng), seed=int(self._rng.integers(2**31)))
                         for _ in range(n)]
        for policy in self.policies:
            policy.reset(1)

    def drop(self, rows: np.ndarray) -> None:
        gone = {int(row) for row in np.asarray(rows).ravel()}
        self.policies = [policy for row, policy in enumerate(self.policies) if row not in gone]

    def act(self, obs: np.ndarray) -> np.ndarray:
        if len(obs) != len(self.policies):
            raise ValueError(f"{len(obs)} observations for {len(self.policies)} games")
        if not self.policies:
            return np.zeros((0, 4))
        return np.concatenate([policy.act(obs[row:row + 1]) for row, policy in enumerate(self.policies)])


class PassivePolicy:
    """Does nothing: zero force, no shot."""

    def reset(self, n: int) -> None:
        pass

    def act(self, obs: np.ndarray) -> np.ndarray:
        return np.zeros((len(obs), 4))


class RandomPolicy:
    """Uniform random actions in [-1, 1] (the shot too), from its own seeded generator."""

    def __init__(self, seed: int | None = 0) -> None:
        self._rng = np.random.default_rng(seed)

    def reset(self, n: int) -> None:
        pass

    def act(self, obs: np.ndarray) -> np.ndarray:
        return self._rng.uniform(-1, 1, size=(len(obs), 4))
