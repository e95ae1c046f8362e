"""Shared helpers of the agent's tests: random games in a buffer, recorded basic-opponent games."""

from __future__ import annotations

import numpy as np

from agents.training.games import collect_games
from agents.utils.buffer import EpisodeBuffer
from league.hockey.batch import basic_opponent_policy


def random_buffer(episodes: int = 6, seed: int = 0, capacity: int = 100_000) -> EpisodeBuffer:
    rng = np.random.default_rng(seed)
    buffer = EpisodeBuffer(capacity)
    for _ in range(episodes):
        steps = int(rng.integers(15, 60))
        buffer.add_episode(rng.normal(size=(steps + 1, 18)), rng.uniform(-1, 1, (steps, 4)),
                           rng.choice([0.0, 1.0, -1.0], steps), terminated=bool(rng.integers(2)))
    return buffer


def recorded_games(games: int = 8, seed: int = 0, reward_shaping: float = 0.0) -> EpisodeBuffer:
    """Games of the weak basic opponent (player one) against the strong one, stored as replay."""
    buffer = EpisodeBuffer(100_000)
    seeds = list(range(seed, seed + games))
    for game in collect_games(basic_opponent_policy(True, seed), basic_opponent_policy(False, seed + 1), seeds,
                              reward_shaping=reward_shaping):
        buffer.add_episode(game.obs, game.actions, game.rewards, game.terminated)
    return buffer
