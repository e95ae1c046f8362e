"""Collected games (`collect_games`, over the game's `play_games`) hold exactly what plain loops over
`HockeyEnv.step` collect: observations, actions as answered, rewards with shaping, ends, modes."""

from __future__ import annotations

import numpy as np
import pytest

from agents.training.games import collect_games, sparse_reward
from agents.utils.buffer import EpisodeBuffer
from league.hockey import HockeyEnv, Mode, basic_policy
from league.hockey.batch import basic_opponent_policy, seat_seed

SEEDS = [3, 17, 17, 99, 1234, 5, 8, 2**31 - 1]
FIRSTS = [True, False, False, True, False, True, True, False]
MODES = [Mode.NORMAL, Mode.NORMAL, Mode.TRAIN_SHOOTING, Mode.TRAIN_DEFENSE, Mode.NORMAL, Mode.TRAIN_SHOOTING,
         Mode.TRAIN_DEFENSE, Mode.NORMAL]


def eager(obs):
    """A stateless learner that asks for more than the game allows: its answers are clipped when applied."""
    return 1.5 * basic_policy(obs, 0.7, weak=False) - [0.0, 0.4, 0.0, 0.0]


def lazy(obs):
    return basic_policy(obs, 2.1, weak=True)


class Stateless:
    def __init__(self, fn):
        self.fn = fn

    def reset(self, n):
        pass

    def act(self, obs):
        return np.array([self.fn(row) for row in obs])


def one_game(seed, one_starting, mode, shaping):
    """The straightforward loop: one game, `env.step`, the learner's own view and the opponent's."""
    env = HockeyEnv()
    obs, _ = env.reset(one_starting=one_starting, mode=mode, seed=seed)
    observations, actions, rewards = [obs], [], []
    while True:
        action = eager(obs)
        obs, _, terminated, truncated, info = env.step(np.hstack([action, lazy(env.obs_agent_two())]))
        observations.append(obs)
        actions.append(action)
        rewards.append(sparse_reward(info, terminated or truncated, shaping))
        if terminated or truncated:
            return info["winner"], env.time, terminated, observations, actions, rewards


@pytest.mark.parametrize("shaping", [0.0, 0.25])
def test_collected_games_are_the_games_played_one_at_a_time(shaping):
    stepped = []
    games = collect_games(Stateless(eager), Stateless(lazy), SEEDS, one_starting=FIRSTS, modes=MODES,
                          reward_shaping=shaping, on_step=stepped.append)
    assert len({game.length for game in games}) > 2  # games ended at different steps
    for game, seed, first, mode in zip(games, SEEDS, FIRSTS, MODES, strict=True):
        winner, length, terminated, obs, actions, rewards = one_game(seed, first, mode, shaping)
        assert (game.winner, game.length, game.terminated, game.mode) == (winner, length, terminated, mode)
        assert game.obs.dtype == np.float64 and np.array_equal(game.obs, np.array(obs))
        assert np.array_equal(game.actions, np.array(actions))  # as answered, not as clipped
        assert np.array_equal(game.rewards, np.array(rewards))
    assert np.abs(games[0].actions).max() > 1.0
    # one call per step, with the number of games still running before it
    assert stepped == [sum(game.length > t for game in games) for t in range(max(g.length for g in games))]


def reference_lock_step(learner, opponent, seeds, firsts, modes, shaping):
    """Games in lock step with `env.step`: one batched act per side and step, finished games dropped."""
    envs = [HockeyEnv() for _ in seeds]
    obs_one = [env.reset(one_starting=first, mode=mode, seed=seed)[0]
               for env, seed, first, mode in zip(envs, seeds, firsts, modes, strict=True)]
    obs_two = [env.obs_agent_two() for env in envs]
    learner.reset(len(seeds))
    opponent.reset(len(seeds))
    for policy, side in ((learner, 1), (opponent, 2)):  # randomness per game, from its seed (as play_games)
        if hasattr(policy, "seed_games"):
            policy.seed_games([seat_seed(seed, side) for seed in seeds])
    kept = [([o], [], []) for o in obs_one]
    ends = [None] * len(seeds)
    active = list(range(len(seeds)))
    while active:
        actions_one = np.asarray(learner.act(np.stack([obs_one[i] for i in active])), dtype=np.float64)
        actions_two = np.asarray(opponent.act(np.stack([obs_two[i] for i in active])), dtype=np.float64)
        finished = []
        for k, i in enumerate(active):
            obs, _, terminated, truncated, info = envs[i].step(np.hstack([actions_one[k], actions_two[k]]))
            obs_one[i], obs_two[i] = obs, envs[i].obs_agent_two()
            kept[i][0].append(obs)
            kept[i][1].append(actions_one[k])
            kept[i][2].append(sparse_reward(info, terminated or truncated, shaping))
            if terminated or truncated:
                ends[i] = (info["winner"], envs[i].time, terminated)
                finished.append(k)
        active = [i for k, i in enumerate(active) if k not in finished]
        if finished and active:
            learner.drop(np.array(finished))
            opponent.drop(np.array(finished))
    return ends, kept


def test_collected_games_are_the_games_of_a_plain_lock_step_loop_with_stateful_policies():
    """The basic opponents draw a random phase per game and forget finished ones: rows must stay aligned."""
    shaping = 0.1
    games = collect_games(basic_opponent_policy(False, seed=1), basic_opponent_policy(True, seed=2), SEEDS,
                          one_starting=FIRSTS, modes=MODES, reward_shaping=shaping)
    ends, kept = reference_lock_step(basic_opponent_policy(False, seed=1), basic_opponent_policy(True, seed=2),
                                     SEEDS, FIRSTS, MODES, shaping)
    assert any(game.winner != 0 for game in games) and any(game.winner == 0 for game in games)
    with_goal = EpisodeBuffer(100_000)
    reference = EpisodeBuffer(100_000)
    for game, (winner, length, terminated), (obs, actions, rewards) in zip(games, ends, kept, strict=True):
        assert (game.winner, game.length, game.terminated) == (winner, length, terminated)
        with_goal.add_episode(game.obs, game.actions, game.rewards, game.terminated)
        reference.add_episode(np.array(obs), np.array(actions), np.array(rewards), terminated)
    for collected, expected in zip(with_goal.episodes, reference.episodes, strict=True):
        assert collected.keys() == expected.keys()
        for key in expected:  # obs, prev_action, reward, cont, first: what training learns from
            assert np.array_equal(collected[key], expected[key]), key


def test_games_default_to_normal_games_alternating_who_starts():
    games = collect_games(Stateless(eager), Stateless(lazy), [11, 12, 13])
    for game, seed, first in zip(games, [11, 12, 13], [True, False, True], strict=True):
        assert game.mode == Mode.NORMAL
        assert np.array_equal(game.obs, np.array(one_game(seed, first, Mode.NORMAL, 0.0)[3]))


def test_sparse_reward_is_the_winner_at_the_end_plus_shaping():
    info = {"winner": 0, "reward_closeness_to_puck": -0.2, "reward_touch_puck": 1.0, "reward_puck_direction": 0.1}
    assert sparse_reward(info, False) == 0.0
    assert sparse_reward({**info, "winner": -1}, True) == -1.0
    assert sparse_reward({**info, "winner": 1}, False) == 0.0  # only a game's end counts
    assert sparse_reward(info, False, shaping=0.5) == pytest.approx(0.5 * 0.9)
    assert sparse_reward({**info, "winner": 1}, True, shaping=0.5) == pytest.approx(1 + 0.5 * 0.9)


class Recording:
    """A stateful learner whose actions ignore what it sees (so a view leaves the games as they are):
    it keeps, per game, every observation it acted on."""

    ACTION = np.array([0.3, -0.2, 0.1, 0.0])

    def reset(self, n):
        self.games = list(range(n))
        self.seen = {i: [] for i in range(n)}

    def act(self, obs):
        assert len(obs) == len(self.games)
        for row, game in enumerate(self.games):
            self.seen[game].append(np.array(obs[row]))
        return np.tile(self.ACTION, (len(obs), 1))


class Recorder(Recording):
    """... told the rows still running."""

    def keep_rows(self, rows):
        self.games = [self.games[row] for row in rows]


class DroppingRecorder(Recording):
    """... told the rows that ended."""

    def drop(self, rows):
        self.games = [game for row, game in enumerate(self.games) if row not in set(rows.tolist())]


@pytest.mark.parametrize("sigma,steps,make", [(0.3, 0, Recorder), (0.0, 2, Recorder), (0.2, 1, DroppingRecorder)])
def test_a_view_between_game_and_learner_is_what_the_trajectories_hold(sigma, steps, make):
    from agents.training.views import ObservationView

    def opponent():
        return basic_opponent_policy(True, seed=2)

    plain = collect_games(Recorder(), opponent(), SEEDS, one_starting=FIRSTS, modes=MODES)
    learner = make()
    games = collect_games(learner, opponent(), SEEDS, one_starting=FIRSTS, modes=MODES,
                          view=ObservationView(sigma, steps, seed=5))
    assert len({game.length for game in games}) > 1  # games end at different steps: rows must follow
    for i, (game, truth) in enumerate(zip(games, plain, strict=True)):
        assert (game.winner, game.length) == (truth.winner, truth.length)  # the same games
        assert np.array_equal(game.obs[:-1], np.array(learner.seen[i]))  # what the learner acted on
        assert np.array_equal(game.actions, truth.actions) and np.array_equal(game.rewards, truth.rewards)
        late = np.array([truth.obs[max(0, t - steps)] for t in range(game.length + 1)])  # the last one too
        if sigma == 0:
            assert np.array_equal(game.obs, late)
        else:
            assert np.all(game.obs[:, :16] != late[:, :16])
            assert np.all(np.abs(game.obs[:, :16] - late[:, :16]) < 6 * sigma)
            assert np.array_equal(game.obs[:, 16:], late[:, 16:])  # the keep counters stay exact


def test_the_view_of_a_round_is_drawn_by_the_config():
    from agents.config import make_config
    from agents.evaluation.wrappers import DelayedObservations, NoisyObservations
    from agents.training.views import draw_view

    rng = np.random.default_rng(0)
    state = dict(rng.bit_generator.state)
    assert draw_view(make_config("debug"), rng) is None
    assert rng.bit_generator.state == state  # shares of 0 draw nothing: older runs replay the same
    config = make_config("debug", ["noise_share=1", "noise_sigma=0.3", "latency_share=1", "latency_steps=2"])
    views = [draw_view(config, rng) for _ in range(50)]
    wrapped = [view.wrap(Recorder()) for view in views]
    assert all(isinstance(w, DelayedObservations) and isinstance(w.policy, NoisyObservations) for w in wrapped)
    assert {view.steps for view in views} == {1, 2}
    assert all(0 <= view.sigma <= 0.3 for view in views) and len({view.sigma for view in views}) == 50
    half = make_config("debug", ["noise_share=0.5"])
    drawn = [draw_view(half, rng) for _ in range(400)]
    assert 150 < sum(view is not None for view in drawn) < 250
    assert all(view.steps == 0 for view in drawn if view is not None)
    for bad, field in (("noise_sigma=-1", "noise_sigma"), ("noise_sigma=11", "noise_sigma"),
                       ("latency_steps=0", "latency_steps"), ("noise_share=1.5", "noise_share")):
        with pytest.raises(ValueError, match=field):
            make_config("debug", [bad])
