"""The one-player training game: the learner is player one, any opponent policy is player two.

Reward: +1 when the learner scores, -1 when it concedes, 0 otherwise (the game's own reward is
dense and ten times larger; DreamerV3's return normalisation is built for sparse +1/-1). Optional
shaping adds `reward_shaping` times the game's info terms (closeness to the puck, touching it,
puck direction); it is off by default.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from league.hockey import HockeyEnv

SHAPING_TERMS = ("reward_closeness_to_puck", "reward_touch_puck", "reward_puck_direction")


def sparse_reward(info: dict, game_over: bool, shaping: float = 0.0) -> float:
    """+1 / -1 / 0 from `info["winner"]` at the end of a game, plus `shaping` times the dense terms."""
    reward = float(info["winner"]) if game_over else 0.0
    if shaping:
        reward += shaping * sum(float(info[key]) for key in SHAPING_TERMS)
    return reward


class CallableOpponent:
    """Wraps `fn(obs (18,)) -> action (4,)` as a batched policy."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]):
        self.fn = fn

    def reset(self, n: int = 1) -> None:
        pass

    def act(self, obs: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(self.fn(row), dtype=np.float64).reshape(4) for row in np.atleast_2d(obs)])


def as_policy(opponent):
    """A batched policy (`reset(n)`, `act(obs (n, 18))`) from a policy or a plain callable."""
    if hasattr(opponent, "act") and hasattr(opponent, "reset"):
        return opponent
    if callable(opponent):
        return CallableOpponent(opponent)
    raise TypeError(f"an opponent must be a policy with reset/act or a callable, got {type(opponent).__name__}")


class HockeyTrainingEnv:
    """Gymnasium-style one-player game against a swappable opponent (player two, its own view)."""

    def __init__(self, opponent=None, reward_shaping: float = 0.0, seed: int | None = None):
        self.game = HockeyEnv()
        self.reward_shaping = reward_shaping
        self.opponent = None
        self._seed = seed
        self._obs_two: np.ndarray | None = None
        if opponent is not None:
            self.set_opponent(opponent)

    def set_opponent(self, opponent) -> None:
        """Swap the opponent; takes effect at the next `reset`."""
        self.opponent = as_policy(opponent)

    def reset(self, seed: int | None = None):
        if self.opponent is None:
            raise RuntimeError("set an opponent (env.set_opponent(policy_or_callable)) before reset")
        if seed is None and self._seed is not None:
            seed, self._seed = self._seed, None
        obs, info = self.game.reset(seed=seed)
        self.opponent.reset(1)
        self._obs_two = self.game.obs_agent_two()
        return obs, info

    def step(self, action, opponent_action=None):
        """Player one's action (4,); the opponent answers on its own view unless `opponent_action` is given."""
        if opponent_action is None:
            opponent_action = self.opponent.act(self._obs_two[None])[0]
        obs, _, terminated, truncated, info = self.game.step(np.hstack([np.asarray(action).reshape(4),
                                                                        np.asarray(opponent_action).reshape(4)]))
        self._obs_two = self.game.obs_agent_two()
        reward = sparse_reward(info, terminated or truncated, self.reward_shaping)
        return obs, reward, terminated, truncated, info

    def obs_agent_two(self) -> np.ndarray:
        return self._obs_two
