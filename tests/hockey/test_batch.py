"""Batched play: many games in lock step, the same games as one at a time, policy failures named."""

from __future__ import annotations

import numpy as np
import pytest

from league.hockey import HockeyEnv, Mode, basic_policy
from league.hockey.batch import GameResult, Policy, PolicyError, basic_opponent_policy, play_games


class FixedPhasePolicy:
    """A deterministic policy: the strong basic opponent with one fixed phase; logs its calls."""

    def __init__(self, phase: float) -> None:
        self.phase = phase
        self.batch_sizes: list[int] = []
        self.dropped: list[list[int]] = []

    def reset(self, n: int) -> None:
        self.n = n

    def act(self, obs: np.ndarray) -> np.ndarray:
        self.batch_sizes.append(len(obs))
        return np.array([basic_policy(row, self.phase, weak=False) for row in obs])

    def drop(self, rows: np.ndarray) -> None:
        self.dropped.append(rows.tolist())


class BrokenPolicy:
    def __init__(self, answer) -> None:
        self.answer = answer

    def reset(self, n: int) -> None:
        self.n = n

    def act(self, obs):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer(obs)


def _one_at_a_time(seed: int, one_starting: bool, phase_one: float, phase_two: float, mode=Mode.NORMAL):
    env = HockeyEnv(mode=mode)
    obs, _ = env.reset(one_starting=one_starting, seed=seed)
    while True:
        action = np.hstack([basic_policy(obs, phase_one, False), basic_policy(env.obs_agent_two(), phase_two, False)])
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return info["winner"], env.time, "goal" if terminated else "time_limit"


@pytest.mark.parametrize("mode", [Mode.NORMAL, Mode.TRAIN_DEFENSE])
def test_batched_games_equal_games_played_one_at_a_time(mode):
    one, two = FixedPhasePolicy(0.3), FixedPhasePolicy(2.0)
    seeds = [10, 11, 12, 13, 14, 15]
    results = play_games(one, two, seeds, mode=mode)
    assert [r.seed for r in results] == seeds
    assert [r.one_starting for r in results] == [True, False] * 3
    for r in results:
        assert isinstance(r, GameResult) and r.record is None
        assert (r.winner, r.length, r.end_reason) == _one_at_a_time(r.seed, r.one_starting, 0.3, 2.0, mode)
    # lock step: one call per step for all unfinished games, finished games dropped
    assert one.batch_sizes[0] == len(seeds) and one.batch_sizes == two.batch_sizes
    assert len(one.batch_sizes) == max(r.length for r in results)
    assert sum(one.batch_sizes) == sum(r.length for r in results)
    longest = max(r.length for r in results)
    assert sum(len(rows) for rows in one.dropped) == sum(r.length < longest for r in results)


class MemoryPolicy:
    """Remembers each game's first observation and checks, every step, that row and memory agree."""

    def __init__(self, use_keep_rows: bool) -> None:
        if use_keep_rows:
            self.keep_rows = self._keep
        else:
            self.drop = lambda rows: self._keep(np.setdiff1d(np.arange(len(self.memory)), rows))
        self.memory = None

    def reset(self, n: int) -> None:
        self.memory = None

    def _keep(self, rows) -> None:
        self.memory = self.memory[np.asarray(rows)]

    def act(self, obs: np.ndarray) -> np.ndarray:
        if self.memory is None:
            self.memory = obs[:, 12:14].copy()  # where each game's puck started
        assert len(self.memory) == len(obs)
        return np.tanh(np.hstack([obs[:, 12:14] - obs[:, 0:2], self.memory])) * [1, 1, 0.1, 0]


@pytest.mark.parametrize("use_keep_rows", [False, True])
def test_stateful_policies_keep_each_games_memory(use_keep_rows):
    one, two = MemoryPolicy(use_keep_rows), MemoryPolicy(use_keep_rows)
    seeds = list(range(40, 48))
    results = play_games(one, two, seeds, record=True)
    assert len({r.length for r in results}) > 1  # games ended at different steps
    for r in results:  # with the right memory per row, each game is the game played alone
        alone = play_games(MemoryPolicy(use_keep_rows), MemoryPolicy(use_keep_rows), [r.seed], [r.one_starting],
                           record=True)[0]
        assert alone.record["frames"] == r.record["frames"]


def test_starting_sides_can_be_given_per_game_or_for_all():
    policy = basic_opponent_policy(weak=True, seed=0)
    assert isinstance(policy, Policy)
    results = play_games(policy, basic_opponent_policy(weak=True, seed=1), [1, 2, 3], [False, True, False])
    assert [r.one_starting for r in results] == [False, True, False]
    results = play_games(policy, basic_opponent_policy(weak=True, seed=1), [1, 2], one_starting=True)
    assert [r.one_starting for r in results] == [True, True]
    with pytest.raises(ValueError, match="2 entries for 3 seeds"):
        play_games(policy, policy, [1, 2, 3], [True, False])
    assert play_games(policy, policy, []) == []


def test_strong_basic_opponent_beats_the_weak_one():
    results = play_games(basic_opponent_policy(False, seed=0), basic_opponent_policy(True, seed=1), range(24))
    wins = sum(r.winner == 1 for r in results)
    losses = sum(r.winner == -1 for r in results)
    assert wins > losses
    assert all(r.end_reason == ("goal" if r.winner else "time_limit") for r in results)
    assert all(1 <= r.length <= 251 for r in results)


@pytest.mark.parametrize(
    "answer, message",
    [
        (RuntimeError("out of memory"), "act raised RuntimeError: out of memory"),
        (lambda obs: np.zeros((len(obs), 3)), r"shape \(\d+, 3\)"),
        (lambda obs: np.full((len(obs), 4), np.nan), "NaN or infinite"),
        (lambda obs: [["x"] * 4] * len(obs), "not numbers"),
    ],
)
@pytest.mark.parametrize("side", [1, 2])
def test_policy_failures_name_the_side(answer, message, side):
    good = basic_opponent_policy(weak=True, seed=0)
    pair = (BrokenPolicy(answer), good) if side == 1 else (good, BrokenPolicy(answer))
    with pytest.raises(PolicyError, match=message) as caught:
        play_games(*pair, [1, 2])
    assert caught.value.side == side


def test_policy_reset_failure_is_a_policy_error():
    class NoReset:
        def act(self, obs):
            return np.zeros((len(obs), 4))

    with pytest.raises(PolicyError, match="player two") as caught:
        play_games(basic_opponent_policy(weak=True), NoReset(), [1])
    assert caught.value.side == 2
