"""What may stand between the game and the learner while it collects games: observation noise and
latency (the evaluation suite's wrappers, `agents.evaluation.wrappers`), drawn per round.

A view changes what the learner acts on, so the collected trajectories hold those observations
(`collect_games` keeps them through `SeenObservations`): the world model learns the game as the
learner sees it. The last observation of a game, which no one acts on, is made the same way
(`ObservationView.last`), so that neither a clean observation nor a jump of several steps marks the
end of a noisy or late game.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.evaluation.wrappers import DelayedObservations, NoisyObservations
from league.hockey.batch import Policy

NOISY_COLUMNS = 16  # all but the keep counters, as `NoisyObservations` does


@dataclass
class ObservationView:
    """Noise of standard deviation `sigma` (0: none) on observations `steps` steps late (0: on time)."""

    sigma: float = 0.0
    steps: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng([self.seed, 1])  # the last observations' noise

    def wrap(self, policy: Policy) -> Policy:
        """The policy behind this view: the game's observations are delayed, then made noisy."""
        if self.sigma > 0:
            policy = NoisyObservations(policy, self.sigma, self.seed)
        if self.steps > 0:
            policy = DelayedObservations(policy, self.steps)
        return policy

    def last(self, game_obs: np.ndarray) -> np.ndarray:
        """The view of a game's last observation, given the game's own observations up to it (t + 1, 18)."""
        obs = np.array(game_obs[max(0, len(game_obs) - 1 - self.steps)], dtype=np.float64)
        if self.sigma > 0:
            obs[:NOISY_COLUMNS] += self._rng.normal(0, self.sigma, size=NOISY_COLUMNS)
        return obs


class SeenObservations:
    """The learner behind a view: passes everything on and keeps the observations it last acted on."""

    def __init__(self, policy) -> None:
        self.policy = policy
        self.seen = np.zeros((0, 18))

    def reset(self, n: int) -> None:
        self.policy.reset(n)

    def keep_rows(self, rows: np.ndarray) -> None:
        if hasattr(self.policy, "keep_rows"):
            self.policy.keep_rows(rows)
        elif hasattr(self.policy, "drop"):
            self.policy.drop(np.setdiff1d(np.arange(len(self.seen)), rows))

    def act(self, obs: np.ndarray) -> np.ndarray:
        self.seen = np.array(obs, dtype=np.float64)
        return self.policy.act(obs)


def draw_view(config, rng: np.random.Generator) -> ObservationView | None:
    """The view of a round of collected games: with probability `config.noise_share` noise of a
    standard deviation drawn in [0, noise_sigma], with `latency_share` a delay of 1 to
    `latency_steps` steps; None when neither (a share of 0 draws nothing from `rng`)."""
    sigma, steps, seed = 0.0, 0, 0
    if config.noise_share > 0 and rng.random() < config.noise_share:
        sigma, seed = float(rng.uniform(0, config.noise_sigma)), int(rng.integers(2**31))
    if config.latency_share > 0 and rng.random() < config.latency_share:
        steps = int(rng.integers(1, config.latency_steps + 1))
    if sigma == 0 and steps == 0:
        return None
    return ObservationView(sigma, steps, seed)
