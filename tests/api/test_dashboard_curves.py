"""How the agent page sorts training curves into sections and names them (`api.pages.curves`), and
how the leaderboard labels its rating bars (`api.pages.display.rating_scale`): plain functions."""

from __future__ import annotations

import math

import pytest

from api.pages.curves import COUNT, GROUPS, KNOWN, RATE, VALUE, curve_charts, describe
from api.pages.display import leaderboard_rows, rating_scale
from league.core.schemas import LeaderboardRow


@pytest.mark.parametrize(("name", "group", "chart", "label", "unit"), [
    ("train_win_rate", "Win rates", "Win rate", "training games", RATE),
    ("eval_strong_loss_rate", "Win rates", "Loss rate", "evaluation vs strong", RATE),
    ("replay_critic_loss", "Losses", "Critic loss", "replay", VALUE),
    ("kl", "Losses", "KL divergence (dynamics)", "KL", VALUE),
    ("games_shooting", "Speed and progress", "Games played", "shooting drill", COUNT),
    # Names the trainer does not post are read by their words.
    ("eval/win_rate_weak", "Win rates", "Win rate", "evaluation weak", RATE),
    ("loss/model", "Losses", "Model loss", "model", VALUE),
    ("learning_rate", "Optimisation", "Learning rate", "learning rate", VALUE),
    ("env_steps_per_second", "Speed and progress", "Env steps per second", "env steps per second", VALUE),
    ("replay/steps", "Speed and progress", "Replay steps", "replay steps", COUNT),
    ("mystery", "Other", "Mystery", "mystery", VALUE),
])
def test_metrics_are_sorted_into_sections_with_names_for_people(name, group, chart, label, unit):
    curve = describe(name)
    assert (curve.group, curve.chart, curve.label, curve.unit) == (group, chart, label, unit)


def test_every_name_the_trainer_posts_is_known_and_readable():
    trainer_names = {"model_loss", "obs_loss", "reward_loss", "cont_loss", "kl", "model_grad_norm", "value", "return",
                     "replay_critic_loss", "replay_value", "replay_return", "critic_loss", "critic_grad_norm",
                     "actor_loss", "entropy", "advantage_mag", "actor_std", "actor_grad_norm", "return_scale",
                     "imagined_reward", "games", "grad_steps", "games_normal", "games_shooting", "games_defense",
                     "buffer_steps", "train_win_rate", "train_loss_rate", "train_shooting_win_rate",
                     "train_shooting_loss_rate", "train_defense_win_rate", "train_defense_loss_rate",
                     "eval_weak_win_rate", "eval_weak_loss_rate", "eval_strong_win_rate", "eval_strong_loss_rate"}
    assert trainer_names <= set(KNOWN)
    charts = {(KNOWN[n].group, KNOWN[n].chart) for n in trainer_names}
    assert len(charts) < len(trainer_names) / 1.5  # related curves share charts
    assert {group for group, _ in charts} == set(GROUPS) - {"Other"}
    assert not [c for _, c in charts if "_" in c]


def test_charts_share_one_step_range_and_keep_runs_apart():
    runs = [(7, "mine", {"train_win_rate": [(1000, 0.2), (2000, 0.4)], "eval_weak_win_rate": [(2000, 0.5)],
                         "model_loss": [(1000, math.inf), (2000, 1.5)]}),
            (9, "other", {"model_loss": [(0, 3.0), (5000, 1.0)], "unknown_thing": []})]
    charts = curve_charts(runs)
    assert charts["runs"] == [{"id": 7, "name": "mine"}, {"id": 9, "name": "other"}]
    assert charts["steps"] == [0, 5000]
    assert [g["title"] for g in charts["groups"]] == ["Win rates", "Losses"]
    win, = charts["groups"][0]["charts"]
    assert win["unit"] == RATE and [s["metric"] for s in win["series"]] == ["train_win_rate", "eval_weak_win_rate"]
    loss, = charts["groups"][1]["charts"]
    assert [(s["run"], s["points"]) for s in loss["series"]] == [(0, [[1000, None], [2000, 1.5]]),
                                                                (1, [[0, 3.0], [5000, 1.0]])]
    assert [c["id"] for g in charts["groups"] for c in g["charts"]] == ["curve-0", "curve-1"]
    assert curve_charts([(1, "empty", {})]) == {"runs": [{"id": 1, "name": "empty"}], "steps": None, "groups": []}


def _row(rank: int, mu: float, sigma: float) -> LeaderboardRow:
    # Only the fields the bars read, whatever else a leaderboard line carries.
    return LeaderboardRow.model_construct(rank=rank, snapshot_id=rank, name=f"s{rank}", agent="a", agent_id=1, owner="o",
                                          kind="dreamer", mu=mu, sigma=sigma, score=mu - 3 * sigma, games=0, wins=0,
                                          draws=0, losses=0, provisional=False, last_played_at=None)


def test_the_rating_scale_labels_round_ratings_where_the_bars_put_them():
    board = [_row(1, 30.0, 1.0), _row(2, 25.0, 2.0), _row(3, 20.0, 4.0)]  # scores 27, 19, 8; top mu + 3 sigma 33
    ticks = rating_scale(board)
    assert [t["value"] for t in ticks] == ["10", "20", "30"]
    for tick in ticks:
        assert tick["left"] == pytest.approx(100 * (float(tick["value"]) - 8) / 25, abs=0.01)
    rows = leaderboard_rows(board)
    assert 'class="lo" style="left: 0.0%"' in rows[2]["bar_html"]  # the lowest score is the scale's left end
    assert rating_scale([]) == []
    small = rating_scale([_row(1, 1.0, 0.1), _row(2, 0.9, 0.1)])
    assert len(small) >= 2 and all("." in t["value"] for t in small)
