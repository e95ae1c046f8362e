"""HockeyEnv's public behaviour: upstream's interface, gymnasium's step, the fixed bugs, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from league.hockey import GAME_VERSION, BasicOpponent, HockeyEnv, HockeyEnv_BasicOpponent, Mode, basic_policy


def _play_until(env: HockeyEnv, condition, max_steps: int = 2000):
    """Two strong basic opponents play (resetting after each game) until `condition(env)` holds."""
    one, two = BasicOpponent(weak=False, seed=1), BasicOpponent(weak=False, seed=2)
    obs, _ = env.reset(seed=0)
    for _ in range(max_steps):
        obs, _, terminated, truncated, _ = env.step(np.hstack([one.act(obs), two.act(env.obs_agent_two())]))
        if condition(env):
            return obs
        if terminated or truncated:
            obs, _ = env.reset()
    raise AssertionError("condition never held")


def test_public_names_and_version():
    assert GAME_VERSION.startswith("2.6+league.")
    assert [m.value for m in (Mode.NORMAL, Mode.TRAIN_SHOOTING, Mode.TRAIN_DEFENSE)] == [0, 1, 2]
    env = HockeyEnv()
    assert env.action_space.shape == (8,) and env.observation_space.shape == (18,)
    assert HockeyEnv(keep_mode=False).action_space.shape == (6,)
    assert HockeyEnv_BasicOpponent().action_space.shape == (4,)


def test_idle_game_is_truncated_at_the_time_limit_not_terminated():
    env = HockeyEnv()
    env.reset(seed=3)
    steps = 0
    while True:
        obs, reward, terminated, truncated, info = env.step(np.zeros(8))
        steps += 1
        if terminated or truncated:
            break
    assert steps == 251 and truncated and not terminated and info["winner"] == 0
    assert obs.shape == (18,) and isinstance(reward, float)


def test_goal_terminates_with_the_winner_and_its_reward():
    env = HockeyEnv(mode=Mode.TRAIN_DEFENSE)  # the puck is shot towards player one's goal
    env.reset(seed=5)
    for _ in range(81):
        _, reward, terminated, truncated, info = env.step(np.zeros(8))
        if terminated or truncated:
            break
    assert terminated and not truncated and info["winner"] == -1
    assert reward == pytest.approx(-10 + info["reward_closeness_to_puck"])
    assert env.get_reward_agent_two(env.get_info_agent_two()) == pytest.approx(10.0, abs=1.0)


def test_reset_accepts_gymnasium_options_and_starting_side():
    env = HockeyEnv()
    left, _ = env.reset(seed=7, options={"one_starting": True})
    right, _ = env.reset(seed=7, options={"one_starting": False})
    assert left[12] < 0 < right[12]  # the puck starts in the starting player's half
    again, _ = env.reset(one_starting=True, seed=7)
    np.testing.assert_array_equal(again, left)


def test_reset_clears_keep_counters():
    """Upstream bug: a puck held when a game ended was still held at the start of the next."""
    env = HockeyEnv()
    obs = _play_until(env, lambda e: e.player1_has_puck > 1 or e.player2_has_puck > 1)
    assert max(obs[16], obs[17]) > 1
    obs, info = env.reset()
    assert obs[16] == 0 and obs[17] == 0
    assert env.player1_has_puck == 0 and env.player2_has_puck == 0 and info["reward_touch_puck"] == 0.0


@pytest.mark.parametrize("mode", [Mode.TRAIN_DEFENSE, 2, "train_shooting", Mode.NORMAL])
def test_reset_changes_the_mode(mode):
    """Upstream bug: passing `mode=` to reset raised."""
    env = HockeyEnv()
    obs, _ = env.reset(mode=mode, seed=11, one_starting=True)
    fresh = HockeyEnv(mode=mode)
    expected, _ = fresh.reset(seed=11, one_starting=True)
    np.testing.assert_array_equal(obs, expected)
    assert env.mode == fresh.mode and env.max_timesteps == fresh.max_timesteps
    obs, _ = env.reset(seed=11, options={"mode": Mode.TRAIN_SHOOTING})
    assert env.mode == Mode.TRAIN_SHOOTING and env.max_timesteps == 80


def test_unknown_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown hockey mode 7"):
        HockeyEnv(mode=7)
    env = HockeyEnv()
    with pytest.raises(ValueError, match="unknown hockey mode 'attack'"):
        env.reset(mode="attack")
    with pytest.raises(ValueError, match="unknown hockey mode True"):
        env.reset(options={"mode": True})
    assert env.mode == Mode.NORMAL


def test_conflicting_and_unknown_reset_options_are_errors():
    env = HockeyEnv()
    with pytest.raises(ValueError, match="both as an argument and in options"):
        env.reset(one_starting=True, options={"one_starting": False})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"one_startin": True})


@pytest.mark.parametrize(
    "action, message",
    [
        (np.zeros(4), r"shape \(8,\)"),
        (np.zeros((2, 4)), r"shape \(8,\)"),
        ([0, 0, 0, np.nan, 0, 0, 0, 0], "NaN or infinite"),
        ([0, 0, 0, 0, np.inf, 0, 0, 0], "NaN or infinite"),
        (["a"] * 8, "must be 8 numbers"),
    ],
)
def test_bad_actions_raise_and_leave_the_game_untouched(action, message):
    env = HockeyEnv()
    before, _ = env.reset(seed=1)
    with pytest.raises(ValueError, match=message):
        env.step(action)
    assert env.time == 0
    np.testing.assert_array_equal(env._get_obs(), before)


def test_actions_outside_the_box_are_clipped_like_upstream():
    one, two = HockeyEnv(), HockeyEnv()
    one.reset(seed=2, one_starting=True)
    two.reset(seed=2, one_starting=True)
    big = np.array([5.0, -3.0, 2.0, 0.0, -9.0, 1.5, -1.2, 0.0])
    for _ in range(20):
        a, *_ = one.step(big)
        b, *_ = two.step(np.clip(big, -1, 1))
    np.testing.assert_array_equal(a, b)


def test_obs_agent_two_is_the_point_mirror():
    env = HockeyEnv()
    obs = _play_until(env, lambda e: e.time > 30)
    mirror = env.obs_agent_two()
    np.testing.assert_array_equal(mirror[0:2], -obs[6:8])
    np.testing.assert_array_equal(mirror[2], obs[8])
    np.testing.assert_array_equal(mirror[3:5], -obs[9:11])
    np.testing.assert_array_equal(mirror[6:8], -obs[0:2])
    np.testing.assert_array_equal(mirror[12:16], -obs[12:16])
    np.testing.assert_array_equal(mirror[16:18], obs[17:15:-1])


def test_set_state_restores_an_observation():
    env = HockeyEnv()
    obs = _play_until(env, lambda e: e.time > 40)
    other = HockeyEnv()
    other.reset(seed=99)
    other.set_state(obs)
    np.testing.assert_allclose(other._get_obs(), obs, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="18 finite numbers"):
        other.set_state(obs[:16])
    with pytest.raises(ValueError, match="18 finite numbers"):
        other.set_state(np.full(18, np.nan))


def test_discrete_actions():
    env = HockeyEnv()
    assert env.discrete_to_continous_action(0) == [0.0, 0.0, 0.0, 0.0]
    assert env.discrete_to_continous_action(1) == [-1.0, 0.0, 0.0, 0.0]
    assert env.discrete_to_continous_action(4) == [0.0, 1.0, 0.0, 0.0]
    assert env.discrete_to_continous_action(5) == [0.0, 0.0, -1.0, 0.0]
    assert env.discrete_to_continous_action(7) == [0.0, 0.0, 0.0, 1.0]
    assert HockeyEnv(keep_mode=False).discrete_to_continous_action(6) == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="discrete action must be 0..7"):
        env.discrete_to_continous_action(8)


def test_basic_opponent_is_seeded_and_calls_basic_policy():
    a, b = BasicOpponent(weak=False, seed=4), BasicOpponent(weak=False, seed=4)
    env = HockeyEnv()
    obs, _ = env.reset(seed=4)
    first = a.act(obs)
    np.testing.assert_array_equal(first, b.act(obs))
    np.testing.assert_array_equal(first, basic_policy(obs, a.phase, weak=False))
    assert first.shape == (4,) and BasicOpponent(keep_mode=False).act(obs[:16]).shape == (3,)


def test_one_player_env_plays_the_seeded_opponent_reproducibly():
    runs = []
    for _ in range(2):
        env = HockeyEnv_BasicOpponent(weak_opponent=True)
        obs, _ = env.reset(seed=21, options={"one_starting": False})
        trace = [obs]
        for _ in range(60):
            obs, *_ = env.step(np.array([0.5, 0.1, 0.0, 0.0]))
            trace.append(obs)
        runs.append(np.array(trace))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert np.abs(runs[0][:, 6:8] - runs[0][0, 6:8]).max() > 0.1  # the opponent moved
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        env.step(np.zeros(8))
    phase = env.opponent.phase
    with pytest.raises(ValueError, match="NaN or infinite"):
        env.step(np.array([0.0, np.nan, 0.0, 0.0]))
    assert env.opponent.phase == phase  # the opponent did not act on a refused step


def test_render_draws_the_players_in_their_colours():
    pytest.importorskip("PIL")
    env = HockeyEnv()
    env.reset(seed=0)
    image = env.render("rgb_array")
    assert image.shape == (480, 600, 3) and image.dtype == np.uint8
    # player one starts at (2, 4) m = (120, 240) px, player two at (8, 4) m = (480, 240) px
    assert tuple(image[240, 115]) == (235, 98, 53)
    assert tuple(image[240, 485]) == (93, 158, 199)
    assert tuple(image[5, 5]) == (255, 255, 255)
    with pytest.raises(ValueError, match="only 'rgb_array'"):
        env.render("human")
