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


def _decided_buffer(won: int, lost: int, draws: int) -> EpisodeBuffer:
    """Games of 100 steps: `won` end with +1, `lost` with -1 (both by a goal), `draws` by the time limit;
    every observation carries its game's number, the last reward its outcome."""
    buffer = EpisodeBuffer(1_000_000)
    outcomes = [1.0] * won + [-1.0] * lost + [0.0] * draws
    for i, outcome in enumerate(outcomes):
        obs, actions, _ = _episode(i + 1, 100)
        rewards = np.zeros(100, np.float32)
        rewards[-1] = outcome
        buffer.add_episode(obs, actions, rewards, terminated=outcome != 0.0)
    return buffer


def _end_outcomes(batch) -> tuple[int, int]:
    """(sequences holding a scored goal, sequences holding a conceded goal)."""
    ends = batch["cont"] == 0
    scored = (ends & (batch["reward"] > 0)).any(axis=1).sum()
    conceded = (ends & (batch["reward"] < 0)).any(axis=1).sum()
    return int(scored), int(conceded)


def test_scored_share_balances_won_and_lost_game_ends():
    buffer = _decided_buffer(won=2, lost=30, draws=20)  # 1 won game in 16 decided ones
    rng = np.random.default_rng(7)
    scored, conceded = _end_outcomes(buffer.sample(800, 20, rng, end_share=0.5))
    assert scored < 0.15 * (scored + conceded)  # unbalanced: won games as rare as in the buffer
    scored, conceded = _end_outcomes(buffer.sample(800, 20, rng, end_share=0.5, scored_share=0.5))
    assert 0.4 < scored / (scored + conceded) < 0.6
    assert 0.4 < (scored + conceded) / 800 < 0.6  # the share of end sequences stays end_share
    scored, conceded = _end_outcomes(buffer.sample(400, 20, rng, end_share=0.5, scored_share=0.8))
    assert 0.7 < scored / (scored + conceded) < 0.9


def test_scored_share_falls_back_to_the_decided_games_there_are():
    rng = np.random.default_rng(8)
    scored, conceded = _end_outcomes(_decided_buffer(0, 10, 10).sample(400, 20, rng, end_share=0.5, scored_share=0.5))
    assert scored == 0 and 0.4 < conceded / 400 < 0.6
    scored, conceded = _end_outcomes(_decided_buffer(3, 0, 10).sample(400, 20, rng, end_share=0.5, scored_share=0.5))
    assert conceded == 0 and 0.4 < scored / 400 < 0.6


def test_scored_share_outside_zero_to_one_is_rejected():
    with pytest.raises(ValueError, match="scored_share"):
        _decided_buffer(1, 1, 1).sample(4, 10, end_share=0.5, scored_share=1.5)
