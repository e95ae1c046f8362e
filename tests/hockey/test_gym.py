"""The game seen through gymnasium (registered ids, env checker) and PettingZoo (parallel view)."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test, parallel_seed_test

import league.hockey  # noqa: F401 (registers the ids)
from league.hockey import HockeyEnv, HockeyEnv_BasicOpponent, Mode
from league.hockey.parallel import HockeyParallelEnv, parallel_env


@pytest.fixture(autouse=True)
def _quiet_checker():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*infinity.*")  # upstream's unbounded observation box
        warnings.filterwarnings("ignore", message=".*nondeterministic.*")
        yield


@pytest.mark.parametrize("env_id, kind", [("Hockey-v0", HockeyEnv), ("Hockey-One-v0", HockeyEnv_BasicOpponent)])
def test_registered_ids_make_our_envs_and_pass_check_env(env_id, kind):
    """Upstream's registration pointed at a module that does not exist."""
    env = gym.make(env_id)
    assert isinstance(env.unwrapped, kind)
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=1, options={"one_starting": False})
    assert obs.shape == (18,)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert set(info) == {"winner", "reward_closeness_to_puck", "reward_touch_puck", "reward_puck_direction"}


def test_one_player_id_takes_the_opponent_strength():
    assert gym.make("Hockey-One-v0").unwrapped.opponent.weak is False
    assert gym.make("Hockey-One-v0", weak_opponent=True).unwrapped.opponent.weak is True


@pytest.mark.parametrize("mode", [Mode.TRAIN_SHOOTING, Mode.TRAIN_DEFENSE])
def test_training_modes_pass_check_env_with_its_determinism_checks(mode):
    # NORMAL games alternate the starting side from reset to reset (as upstream), so only the
    # training modes can pass the checker's "same seed, same step" test unregistered.
    check_env(HockeyEnv(mode=mode), skip_render_check=True)


def test_pettingzoo_api_and_seed_tests_pass():
    parallel_api_test(HockeyParallelEnv(), num_cycles=300)
    parallel_seed_test(parallel_env)


def test_parallel_view_mirrors_player_two_and_ends_for_both():
    env = HockeyParallelEnv()
    observations, infos = env.reset(seed=3, options={"one_starting": True})
    assert env.observation_space("player_one") is env.observation_space("player_one")
    np.testing.assert_array_equal(observations["player_two"], env.game.obs_agent_two())
    still = {"player_one": np.zeros(4), "player_two": np.zeros(4)}
    steps = 0
    while env.agents:
        observations, rewards, terminations, truncations, infos = env.step(still)
        steps += 1
    assert steps == 251 and all(truncations.values()) and not any(terminations.values())
    assert infos["player_two"]["winner"] == -infos["player_one"]["winner"]
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(still)
    env.reset(seed=3)
    with pytest.raises(ValueError, match="missing for \\['player_two'\\]"):
        env.step({"player_one": np.zeros(4)})
    with pytest.raises(ValueError, match="player_two must have shape"):
        env.step({"player_one": np.zeros(4), "player_two": np.zeros(3)})
