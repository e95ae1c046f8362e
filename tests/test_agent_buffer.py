"""The episode buffer: alignment of observations, actions, rewards, continues; boundaries; saving."""

import numpy as np
import pytest

from agents.utils.buffer import EpisodeBuffer


def _episode(episode_id: int, steps: int):
    t = np.arange(steps + 1, dtype=np.float32)
    obs = np.repeat((1000 * episode_id + t)[:, None], 18, axis=1)
    actions = np.repeat((1000 * episode_id + t[:-1])[:, None] / 10_000, 4, axis=1)
    rewards = 1000 * episode_id + t[:-1] + 0.5
    return obs, actions, rewards


def _filled(lengths, terminated=True):
    buffer = EpisodeBuffer(1_000_000)
    for i, steps in enumerate(lengths):
        buffer.add_episode(*_episode(i + 1, steps), terminated=terminated)
    return buffer


def test_entries_align_action_observation_reward_and_continue():
    buffer = _filled([5, 7, 3, 12])
    batch = buffer.sample(64, 9, np.random.default_rng(0))
    obs = batch["obs"][..., 0]
    for row in range(64):
        for t in range(9):
            episode, step = divmod(int(obs[row, t]), 1000)
            if batch["first"][row, t]:
                assert step == 0
                assert not batch["prev_action"][row, t].any() and batch["reward"][row, t] == 0
            else:
                # the action that led here was taken at step - 1, and its reward belongs to this entry
                assert batch["prev_action"][row, t, 0] == pytest.approx((1000 * episode + step - 1) / 10_000)
                assert batch["reward"][row, t] == 1000 * episode + step - 1 + 0.5
            last = step == [5, 7, 3, 12][episode - 1]
            assert batch["cont"][row, t] == (0.0 if last else 1.0)


def test_sequences_cross_games_only_at_a_start_marked_first():
    buffer = _filled([4, 30, 2, 9])
    batch = buffer.sample(200, 20, np.random.default_rng(1))
    obs = batch["obs"][..., 0]
    crossings = 0
    for row in range(200):
        for t in range(1, 20):
            prev_episode, prev_step = divmod(int(obs[row, t - 1]), 1000)
            episode, step = divmod(int(obs[row, t]), 1000)
            if batch["first"][row, t]:
                crossings += 1
                assert step == 0
                assert prev_step == [4, 30, 2, 9][prev_episode - 1], "left a game before its end"
            else:
                assert (episode, step) == (prev_episode, prev_step + 1)
    assert crossings > 0


def test_end_share_draws_decided_game_ends_more_often_without_breaking_alignment():
    buffer = EpisodeBuffer(1_000_000)
    for i in range(20):
        buffer.add_episode(*_episode(i + 1, 200), terminated=i % 2 == 0)
    rng = np.random.default_rng(4)
    plain = buffer.sample(400, 20, rng)
    biased = buffer.sample(400, 20, rng, end_share=0.5)
    ends = lambda batch: (batch["cont"] == 0).any(axis=1).mean()  # noqa: E731
    assert ends(plain) < 0.15 and 0.4 < ends(biased) < 0.6
    obs = biased["obs"][..., 0]
    for row in range(400):
        for t in range(1, 20):
            if not biased["first"][row, t]:
                assert obs[row, t] == obs[row, t - 1] + 1


def test_time_limit_is_not_an_end():
    buffer = _filled([6], terminated=False)
    assert buffer.episodes[0]["cont"].tolist() == [1.0] * 7


def test_capacity_drops_oldest_games():
    buffer = EpisodeBuffer(25)
    for i in range(5):
        buffer.add_episode(*_episode(i + 1, 9), terminated=True)
    assert len(buffer) <= 25 and buffer.num_episodes == 2
    assert buffer.episodes[0]["obs"][0, 0] == 4000  # games 4 and 5 remain
    assert buffer.total_added == 50


def test_save_and_load_round_trip(tmp_path):
    buffer = _filled([5, 7, 3])
    buffer.save(tmp_path / "buffer.npz")
    loaded = EpisodeBuffer.load(tmp_path / "buffer.npz")
    assert loaded.num_episodes == 3 and len(loaded) == len(buffer) and loaded.total_added == buffer.total_added
    a = buffer.sample(8, 6, np.random.default_rng(3))
    b = loaded.sample(8, 6, np.random.default_rng(3))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_bad_input_is_rejected():
    buffer = EpisodeBuffer(100)
    obs, actions, rewards = _episode(1, 5)
    with pytest.raises(ValueError, match="needs obs of shape"):
        buffer.add_episode(obs[:-1], actions, rewards, True)
    with pytest.raises(ValueError, match="rewards"):
        buffer.add_episode(obs, actions, rewards[:-1], True)
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="capacity"):
        EpisodeBuffer(0)
