"""Batched play: many games in lock step, the same games as one at a time (also with a mode per game
and as the per-step hook sees them), policy failures named."""

from __future__ import annotations

import numpy as np
import pytest

from league.hockey import HockeyEnv, Mode, basic_policy
from league.hockey.batch import GameResult, LockStep, Policy, PolicyError, basic_opponent_policy, play_games


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


def test_each_game_may_have_its_own_mode():
    modes = [Mode.TRAIN_SHOOTING, Mode.NORMAL, Mode.TRAIN_DEFENSE, "normal", 2]
    seeds = [20, 21, 22, 23, 24]
    results = play_games(FixedPhasePolicy(0.3), FixedPhasePolicy(2.0), seeds, mode=modes)
    expected = [Mode.TRAIN_SHOOTING, Mode.NORMAL, Mode.TRAIN_DEFENSE, Mode.NORMAL, Mode.TRAIN_DEFENSE]
    assert [r.mode for r in results] == expected
    for r, mode in zip(results, expected, strict=True):
        assert (r.winner, r.length, r.end_reason) == _one_at_a_time(r.seed, r.one_starting, 0.3, 2.0, mode)
    assert all(r.mode == Mode.TRAIN_DEFENSE for r in play_games(FixedPhasePolicy(0.3), FixedPhasePolicy(2.0),
                                                                  seeds[:2], mode="train_defense"))
    with pytest.raises(ValueError, match="2 entries for 3 seeds"):
        play_games(FixedPhasePolicy(0.3), FixedPhasePolicy(2.0), [1, 2, 3], mode=[Mode.NORMAL, Mode.NORMAL])


class Overreaching(FixedPhasePolicy):
    """Answers twice what the game allows; tells its `drop` calls to a shared log."""

    def __init__(self, phase: float, log: list) -> None:
        super().__init__(phase)
        self.log = log

    def act(self, obs: np.ndarray) -> np.ndarray:
        return 2.0 * super().act(obs)

    def drop(self, rows: np.ndarray) -> None:
        self.log.append(("drop", rows.tolist()))


def test_the_step_hook_sees_each_step_of_each_game_after_the_policies_were_told():
    log: list = []
    steps: list[LockStep] = []

    def hook(step: LockStep) -> None:
        steps.append(step)
        log.append(("step", len(step.games)))

    seeds, modes = [30, 31, 32, 33], [Mode.NORMAL, Mode.TRAIN_DEFENSE, Mode.TRAIN_SHOOTING, Mode.NORMAL]
    results = play_games(Overreaching(0.3, log), FixedPhasePolicy(2.0), seeds, mode=modes, on_step=hook)
    for i, (r, mode) in enumerate(zip(results, modes, strict=True)):
        rows = [(step, step.games.index(i)) for step in steps if i in step.games]
        assert len(rows) == r.length and [step.done[k] for step, k in rows] == [False] * (r.length - 1) + [True]
        env = HockeyEnv()
        obs, _ = env.reset(one_starting=r.one_starting, mode=mode, seed=r.seed)
        for step, k in rows:  # the same game by `env.step`: views, answered actions, info
            assert np.array_equal(step.obs[k], obs)
            answered = 2.0 * basic_policy(obs, 0.3, weak=False)
            assert np.array_equal(step.actions[k], answered)
            obs, _, terminated, truncated, info = env.step(np.hstack([answered,
                                                                      basic_policy(env.obs_agent_two(), 2.0, False)]))
            assert np.array_equal(step.next_obs[k], obs) and step.infos[k] == info
            assert step.done[k] == (terminated or truncated)
        assert info["winner"] == r.winner
    # each step: the games unfinished before it, in seed order; drops come before the hook
    assert [s.games for s in steps] == [[i for i, r in enumerate(results) if r.length > t]
                                        for t in range(max(r.length for r in results))]
    expected = []
    for step in steps:
        if any(step.done) and not all(step.done):
            expected.append(("drop", [k for k, done in enumerate(step.done) if done]))
        expected.append(("step", len(step.games)))
    assert log == expected


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
