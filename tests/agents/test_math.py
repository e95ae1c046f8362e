"""symlog/symexp, lambda-returns, TanhNormal and the configuration."""

import math

import pytest
import torch

from agents.config import DreamerConfig, make_config
from agents.utils.distributions import TanhNormal, bounded_std
from agents.utils.math_ops import lambda_returns, replay_lambda_returns, symexp, symlog

torch.set_num_threads(1)


def test_symexp_inverts_symlog():
    x = torch.tensor([-1e4, -3.5, -1.0, -1e-3, 0.0, 1e-3, 0.5, 2.0, 1e4], dtype=torch.float64)
    assert torch.allclose(symexp(symlog(x)), x, rtol=1e-10, atol=1e-12)
    assert torch.allclose(symlog(symexp(x[2:-2])), x[2:-2], rtol=1e-10)
    assert symlog(torch.tensor(math.e - 1)).item() == pytest.approx(1.0)


def test_lambda_returns_hand_computed():
    # three transitions; the game ends on reaching state 2 (continue 0 at index 1)
    rewards = torch.tensor([1.0, 2.0, 3.0])
    continues = torch.tensor([1.0, 0.0, 1.0])
    next_values = torch.tensor([10.0, 20.0, 30.0])
    gamma, lam = 0.5, 0.8
    r2 = 3.0 + 0.5 * 1.0 * 30.0  # 18
    r1 = 2.0 + 0.5 * 0.0 * (0.2 * 20.0 + 0.8 * r2)  # 2: nothing after the end counts
    r0 = 1.0 + 0.5 * 1.0 * (0.2 * 10.0 + 0.8 * r1)  # 1 + 0.5 * (2 + 1.6) = 2.8
    returns = lambda_returns(rewards, continues, next_values, gamma, lam)
    assert returns.tolist() == pytest.approx([r0, r1, r2])
    assert returns.tolist() == pytest.approx([2.8, 2.0, 18.0])


def test_lambda_returns_limits_and_batches():
    rewards = torch.rand(5, 3)
    continues = torch.ones(5, 3)
    values = torch.rand(5, 3)
    one_step = lambda_returns(rewards, continues, values, 0.9, 0.0)
    assert torch.allclose(one_step, rewards + 0.9 * values)
    monte_carlo = lambda_returns(rewards, continues, values, 0.9, 1.0)
    expected = sum(0.9**k * rewards[k] for k in range(5)) + 0.9**5 * values[-1]
    assert torch.allclose(monte_carlo[0], expected)
    with pytest.raises(ValueError, match="same shape"):
        lambda_returns(rewards, continues[:4], values)


def test_tanh_normal_log_prob_matches_numerical_density():
    mean = torch.tensor([0.3], dtype=torch.float64)
    std = torch.tensor([0.7], dtype=torch.float64)
    dist = TanhNormal(mean, std)
    normal = torch.distributions.Normal(mean, std)

    def cdf(a):  # P(tanh(u) <= a)
        return normal.cdf(torch.atanh(torch.tensor([a], dtype=torch.float64)))

    for a in (-0.95, -0.5, 0.0, 0.4, 0.9, 0.99):
        h = 1e-6
        density = ((cdf(a + h) - cdf(a - h)) / (2 * h)).item()
        log_prob = dist.log_prob(torch.tensor([[a]], dtype=torch.float64)).item()
        assert math.exp(log_prob) == pytest.approx(density, rel=1e-4)
    action, u = dist.rsample()
    assert torch.allclose(dist.log_prob(pre_tanh=u), dist.log_prob(action), atol=1e-6)


def test_tanh_normal_entropy_estimate_is_close_to_the_true_entropy():
    torch.manual_seed(0)
    dist = TanhNormal(torch.zeros(200_000, 1, dtype=torch.float64), torch.full((200_000, 1), 0.5, dtype=torch.float64))
    _, u = dist.rsample()
    estimate = dist.entropy(u).mean()
    exact_by_sampling = -dist.log_prob(pre_tanh=u).mean()
    assert estimate.item() == pytest.approx(exact_by_sampling.item(), abs=0.01)
    assert estimate.item() < 0.5 + 0.5 * math.log(2 * math.pi) + math.log(0.5)  # tanh shrinks it


def test_bounded_std_stays_in_range():
    raw = torch.tensor([-1e6, -5.0, 0.0, 5.0, 1e6])
    std = bounded_std(raw, 0.1, 1.0)
    assert std.min().item() >= 0.1 and std.max().item() <= 1.0


def test_presets_and_overrides():
    default = make_config("default")
    assert (default.hidden, default.latent, default.recurrent, default.seq_length, default.batch_size) == (256, 64, 256, 50, 16)
    assert (default.horizon, default.model_lr, default.actor_lr, default.critic_lr) == (15, 3e-4, 3e-5, 3e-5)
    assert (default.grad_clip, default.buffer_capacity, default.train_start) == (100.0, 1_000_000, 1000)
    assert default.actor_gradient == "dynamics"
    debug = make_config("debug", ["horizon=3", "model_lr=1e-3", "actor_gradient=reinforce"])
    assert debug.horizon == 3 and debug.model_lr == 1e-3 and debug.hidden < 64
    assert debug.actor_gradient == "reinforce"
    assert make_config("debug", ['actor_gradient="reinforce"']).actor_gradient == "reinforce"
    assert DreamerConfig.from_dict(debug.to_dict()) == debug


@pytest.mark.parametrize("preset, overrides, message", [
    ("huge", [], "unknown preset"),
    ("debug", ["horizon"], "name=value"),
    ("debug", ["horizn=3"], "unknown config field"),
    ("debug", ["horizon=abc"], "must be an integer, got 'abc'"),
    ("debug", ["actor_gradient=backprop"], "actor_gradient must be one of dynamics, reinforce"),
    ("debug", ["actor_gradient=3"], "actor_gradient must be a string"),
    ("debug", ["horizon=2.5"], "must be an integer"),
    ("debug", ["horizon=0"], "at least 1"),
    ("debug", ["gamma=1.5"], "gamma"),
    ("debug", ["actor_min_std=2.0"], "actor_min_std"),
    ("debug", ["scored_share=1.2"], "scored_share must be in"),
    ("debug", ["replay_value_scale=-0.1"], "replay_value_scale must be a finite number"),
])
def test_bad_configs_are_rejected_clearly(preset, overrides, message):
    with pytest.raises(ValueError, match=message):
        make_config(preset, overrides)


def test_config_from_dict_rejects_wrong_types():
    with pytest.raises(ValueError, match="JSON object"):
        DreamerConfig.from_dict([1, 2])
    with pytest.raises(ValueError, match="must be a number"):
        DreamerConfig.from_dict({"gamma": "high"})
    with pytest.raises(ValueError, match="obs_dim"):
        DreamerConfig.from_dict({"obs_dim": 16})


def test_replay_lambda_returns_hand_computed_with_a_goal_and_a_new_game():
    # entries 0..4: a game whose state 2 ends it by a goal (+1), then a new game (states 3, 4)
    rewards = torch.tensor([0.0, 0.5, 1.0, 0.0, 2.0])
    continues = torch.tensor([1.0, 1.0, 0.0, 1.0, 1.0])
    firsts = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0])
    values = torch.tensor([10.0, 20.0, 30.0, 40.0, 50.0])
    gamma, lam = 0.5, 0.8
    r3 = 2.0 + 0.5 * (0.2 * 50.0 + 0.8 * 50.0)  # 27: bootstrapped with the last state's value
    r2 = 30.0  # the goal state has no next state in its game: its own value, weight 0
    r1 = 1.0 + 0.5 * 0.0 * (0.2 * 30.0 + 0.8 * r2)  # 1: only the goal's reward
    r0 = 0.5 + 0.5 * (0.2 * 20.0 + 0.8 * r1)  # 0.5 + 0.5 * 4.8 = 2.9
    returns, weight = replay_lambda_returns(rewards, continues, firsts, values, gamma, lam)
    assert torch.allclose(returns, torch.tensor([r0, r1, r2, r3]))
    assert weight.tolist() == [1.0, 1.0, 0.0, 1.0]
    batched, _ = replay_lambda_returns(*(x[:, None].repeat(1, 3) for x in (rewards, continues, firsts, values)),
                                       gamma, lam)
    assert torch.allclose(batched, returns[:, None].repeat(1, 3))
    with pytest.raises(ValueError, match="same shape"):
        replay_lambda_returns(rewards, continues, firsts, values[:3])
    with pytest.raises(ValueError, match="at least 2"):
        replay_lambda_returns(*(x[:1] for x in (rewards, continues, firsts, values)))
