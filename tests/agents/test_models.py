"""Gradient flow through the world model and the actor-critic; snapshots; checkpoints as data."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save

from agents import load_policy
from agents.checkpoint import expected_tensor_specs, policy_from_bytes, save_checkpoint
from agents.config import make_config
from agents.hockey_dreamer import HockeyDreamer
from agents.models.behavior import ReplayedSequences
from agents.models.sequence_model import State
from tests.support.agent_helpers import random_buffer

torch.set_num_threads(1)
CONFIG = make_config("debug")


def _batch(seed=0):
    return random_buffer(seed=seed).sample(CONFIG.batch_size, CONFIG.seq_length, np.random.default_rng(seed))


def _tensors(batch):
    return {k: torch.as_tensor(v) for k, v in batch.items()}


def _grads(module):
    return {n: (p.grad is not None and p.grad.abs().sum().item() > 0) for n, p in module.named_parameters()}


def test_world_model_loss_reaches_encoder_gru_and_heads_but_not_the_behaviour():
    torch.manual_seed(0)
    agent = HockeyDreamer(CONFIG)
    loss, metrics, _ = agent.world_model.compute_loss(_tensors(_batch()))
    loss.backward()
    wm = agent.world_model
    for part in (wm.encoder, wm.rssm.gru, wm.rssm.prior_net, wm.rssm.post_out, wm.decoder, wm.reward_head,
                 wm.continue_head):
        assert any(_grads(part).values()), f"no gradient reaches {part}"
    assert all(p.grad is None for p in agent.behavior.parameters())
    assert set(metrics) >= {"model_loss", "obs_loss", "reward_loss", "cont_loss", "kl"}


def _imagined(agent):
    _, _, post = agent.world_model.compute_loss(_tensors(_batch()))
    start = State(post.h.reshape(-1, post.h.shape[-1]), post.z.reshape(-1, post.z.shape[-1]))
    imagined, weight = agent.behavior.imagine(agent.world_model, start, torch.ones(start.h.shape[0]))
    returns, slow = agent.behavior.returns(imagined)
    return imagined, weight, returns, slow


def _changed(before, after):
    return {name for name in before if not torch.equal(before[name], after[name])}


@pytest.mark.parametrize("actor_gradient", ["dynamics", "reinforce"])
def test_actor_update_changes_only_the_actor(actor_gradient):
    torch.manual_seed(1)
    agent = HockeyDreamer(CONFIG.replace(actor_gradient=actor_gradient))
    imagined, weight, returns, _ = _imagined(agent)
    assert returns.requires_grad == (actor_gradient == "dynamics")
    before = agent.state()
    baseline = agent.behavior.critic(imagined.features[:-1]).squeeze(-1).detach() - 0.5  # a non-zero advantage
    metrics = agent.behavior.update_actor(imagined, returns, baseline, weight)
    changed = _changed(before, agent.state())
    assert changed and all(name.startswith("behavior.actor.") for name in changed)
    assert metrics["actor_grad_norm"] > 0
    assert all(p.grad is None for p in agent.world_model.parameters())
    assert all(p.grad is None for p in agent.behavior.critic.parameters())


def test_dynamics_gradient_reaches_the_actor_through_the_reward_head():
    """With the slow critic and the continuation out of the returns, the actor's gradient can only come
    through the rewards: the imagined actions -> RSSM prior -> reward head."""
    torch.manual_seed(4)
    agent = HockeyDreamer(CONFIG)
    behavior, wm = agent.behavior, agent.world_model
    with torch.no_grad():  # the reward head starts at zero (no gradient); give it an untrained guess
        wm.reward_head[-1].weight.normal_(0.0, 0.1)
    imagined, weight, returns, _ = _imagined(agent)
    actor_params = list(behavior.actor.parameters())
    grads = torch.autograd.grad(imagined.rewards.sum(), actor_params, retain_graph=True)
    assert sum(g.abs().sum() for g in grads) > 0
    grads = torch.autograd.grad(returns.sum(), actor_params)
    assert sum(g.abs().sum() for g in grads) > 0
    start = State(imagined.features[0, :, :CONFIG.recurrent].detach(), imagined.features[0, :, CONFIG.recurrent:].detach())
    first = torch.zeros(start.h.shape[0], CONFIG.action_dim, requires_grad=True)
    actions = iter([first] + [torch.zeros_like(first)] * (CONFIG.horizon - 1))
    later = wm.imagine(lambda _: (next(actions),) * 2, start, keep_graph=True)
    (first_grad,) = torch.autograd.grad(later.rewards[-1].sum(), first)
    assert first_grad.abs().sum() > 0, "the last imagined reward does not depend on the first action"
    start = State(imagined.features[0, :, :CONFIG.recurrent].detach(), imagined.features[0, :, CONFIG.recurrent:].detach())
    assert not wm.imagine(behavior.sample_action, start).rewards.requires_grad  # no graph unless asked for


def test_dynamics_actor_needs_a_differentiable_trajectory():
    torch.manual_seed(5)
    agent = HockeyDreamer(CONFIG)
    imagined, weight, returns, _ = _imagined(agent)
    with pytest.raises(ValueError, match="keep_graph"):
        agent.behavior.update_actor(imagined, returns.detach(), returns.detach() - 0.5, weight)


def test_critic_update_changes_only_the_critic_and_its_slow_copy():
    torch.manual_seed(2)
    agent = HockeyDreamer(CONFIG)
    imagined, weight, returns, slow = _imagined(agent)
    before = agent.state()
    agent.behavior.update_critic(imagined, returns + 1.0, slow, weight)
    changed = _changed(before, agent.state())
    assert any(name.startswith("behavior.critic.") for name in changed)
    assert all(name.startswith("behavior.critic.") for name in changed)
    assert all(p.grad is None for p in agent.world_model.parameters())
    assert all(p.grad is None for p in agent.behavior.actor.parameters())
    agent.behavior.update_slow_critic()
    assert any(name.startswith("behavior.slow_critic.") for name in _changed(before, agent.state()))


def _replayed(agent, batch):
    tensors = _tensors(batch)
    _, _, post = agent.world_model.compute_loss(tensors)
    with torch.no_grad():
        features = agent.world_model.rssm.get_features(post)
    return ReplayedSequences(features, *(tensors[k].transpose(0, 1) for k in ("reward", "cont", "first")))


def test_replay_value_loss_moves_the_critic_towards_the_replayed_returns_and_only_the_critic():
    torch.manual_seed(8)
    agent = HockeyDreamer(CONFIG.replace(replay_value_scale=1.0, critic_lr=3e-3))
    imagined, weight, returns, slow = _imagined(agent)
    replay = _replayed(agent, _batch(seed=3))
    targets, replay_weight = agent.behavior.replay_returns(replay)
    assert replay_weight.sum() > 0 and targets[replay_weight > 0].abs().sum() > 0

    def replay_error():
        with torch.no_grad():
            value = agent.behavior.critic(replay.features[:-1]).squeeze(-1)
        return (replay_weight * (value - targets).square()).sum().item()

    before, error_before = agent.state(), replay_error()
    for _ in range(40):  # the imagined steps weigh nothing: only the replayed returns pull
        metrics, _ = agent.behavior.update_critic(imagined, returns, slow, torch.zeros_like(weight), replay)
    assert replay_error() < 0.5 * error_before
    assert {"replay_critic_loss", "replay_value", "replay_return"} <= set(metrics)
    changed = _changed(before, agent.state())
    assert any(name.startswith("behavior.critic.") for name in changed)
    assert all(name.startswith("behavior.critic.") for name in changed)
    assert all(p.grad is None for p in agent.world_model.parameters())
    assert all(p.grad is None for p in agent.behavior.actor.parameters())
    assert not replay.features.requires_grad and targets.grad_fn is None


def test_without_replay_value_scale_the_replayed_sequences_do_not_move_the_critic():
    torch.manual_seed(9)
    agent = HockeyDreamer(CONFIG.replace(replay_value_scale=0.0, critic_lr=3e-3))
    imagined, weight, returns, slow = _imagined(agent)
    before = agent.state()
    metrics, _ = agent.behavior.update_critic(imagined, returns, slow, torch.zeros_like(weight),
                                              _replayed(agent, _batch(seed=3)))
    assert not _changed(before, agent.state()) and "replay_critic_loss" not in metrics


@pytest.mark.parametrize("actor_gradient", ["dynamics", "reinforce"])
def test_world_model_grads_come_from_its_own_loss_only(actor_gradient):
    """After a full train step the world model's .grad is exactly what its own loss gave it."""
    torch.manual_seed(6)
    agent = HockeyDreamer(CONFIG.replace(actor_gradient=actor_gradient))
    batch = _batch()
    reference = HockeyDreamer(CONFIG.replace(actor_gradient=actor_gradient))
    reference.restore_state(agent.state())
    torch.manual_seed(7)
    agent.train_step(batch)
    torch.manual_seed(7)
    loss, _, _ = reference.world_model.compute_loss(_tensors(batch))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(reference.world_model.parameters(), CONFIG.grad_clip)
    for (name, p), q in zip(agent.world_model.named_parameters(), reference.world_model.parameters(), strict=True):
        assert p.grad is not None and torch.allclose(p.grad, q.grad, atol=1e-6), name


def test_full_train_step_returns_float_metrics():
    torch.manual_seed(3)
    agent = HockeyDreamer(CONFIG)
    metrics = agent.train_step(_batch())
    json.dumps(metrics)
    assert all(isinstance(v, float) and np.isfinite(v) for v in metrics.values())
    assert {"model_loss", "actor_loss", "critic_loss", "return_scale", "replay_critic_loss"} <= set(metrics)


def test_state_round_trip_gives_identical_actions():
    torch.manual_seed(4)
    agent = HockeyDreamer(CONFIG)
    agent.train_step(_batch())
    copy = HockeyDreamer(CONFIG)
    copy.restore_state(agent.state())
    obs = np.random.default_rng(0).normal(size=(12, 3, 18))
    for deterministic in (True, False):
        agent.reset(3), copy.reset(3)
        for step in obs:
            torch.manual_seed(7)
            a = agent.act(step, deterministic=deterministic)
            torch.manual_seed(7)
            b = copy.act(step, deterministic=deterministic)
            np.testing.assert_array_equal(a, b)
            assert a.shape == (3, 4) and np.all(np.abs(a) <= 1)


def test_checkpoint_is_data_and_loads_as_a_policy(tmp_path):
    torch.manual_seed(5)
    agent = HockeyDreamer(CONFIG)
    path = save_checkpoint(tmp_path / "ckpt", agent, {"step": 42})
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["step"] == 42 and meta["config"] == CONFIG.to_dict() and meta["kind"] == "dreamer"
    policy = load_policy(path)
    from_bytes = policy_from_bytes(path.read_bytes(), meta["config"])
    obs = np.random.default_rng(1).normal(size=(5, 2, 18))
    policy.reset(2), from_bytes.reset(2), agent.reset(2)
    for step in obs:
        expected = agent.act(step, deterministic=True)
        np.testing.assert_allclose(policy.act(step), expected, rtol=1e-6)
        np.testing.assert_allclose(from_bytes.act(step), expected, rtol=1e-6)
    policy.reset()
    assert policy.act(obs[0, 0]).shape == (4,)
    specs = expected_tensor_specs(CONFIG.to_dict())
    assert set(specs) == set(agent.state_dict())
    assert all(dtype == "F32" for dtype, _ in specs.values())


def test_policy_plays_the_games_batched_protocol():
    from agents.policy import DreamerPolicy
    from league.hockey.batch import basic_opponent_policy, play_games

    policy = DreamerPolicy(HockeyDreamer(CONFIG))
    results = play_games(policy, basic_opponent_policy(weak=True, seed=0), seeds=[1, 2, 3, 4])
    assert len(results) == 4 and all(r.winner in (-1, 0, 1) for r in results)


def test_bad_checkpoints_are_rejected_clearly(tmp_path):
    agent = HockeyDreamer(CONFIG)
    data = save(agent.state())
    with pytest.raises(ValueError, match="not a valid safetensors"):
        policy_from_bytes(b"not safetensors at all", CONFIG.to_dict())
    with pytest.raises(ValueError, match="unknown config field"):
        policy_from_bytes(data, {"hiden": 3})
    with pytest.raises(ValueError, match="do not match the config: .*size mismatch"):
        policy_from_bytes(data, make_config("default").to_dict())
    missing = agent.state()
    del missing["behavior.actor.0.weight"]
    with pytest.raises(ValueError, match="behavior.actor.0.weight"):
        policy_from_bytes(save(missing), CONFIG.to_dict())
    with pytest.raises(ValueError, match="invalid|at least"):
        expected_tensor_specs({"hidden": 0})
    lonely = tmp_path / "lonely.safetensors"
    lonely.write_bytes(data)
    with pytest.raises(FileNotFoundError, match="json"):
        load_policy(lonely)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_policy(tmp_path / "missing.safetensors")
    with pytest.raises(ValueError, match="shape"):
        load_policy_from = policy_from_bytes(data, CONFIG.to_dict())
        load_policy_from.act(np.zeros(16))


def test_fast_observe_matches_step_by_step_filtering(monkeypatch):
    from agents.models.world_model import WorldModel

    torch.manual_seed(6)
    wm = WorldModel(CONFIG)
    steps, batch = 12, 5
    embeds, actions = torch.randn(steps, batch, CONFIG.hidden), torch.rand(steps, batch, 4) * 2 - 1
    firsts = torch.zeros(steps, batch)
    firsts[0], firsts[5, 2] = 1.0, 1.0
    monkeypatch.setattr(torch, "randn", lambda *shape, **kw: torch.zeros(*shape, device=kw.get("device")))
    monkeypatch.setattr(torch, "randn_like", lambda x: torch.zeros_like(x))
    states, posterior, prior = wm.rssm.observe(embeds, actions, firsts)
    state = wm.rssm.initial_state(batch)
    for t in range(steps):
        state, post = wm.rssm.posterior_step(state, actions[t], embeds[t], firsts[t])
        assert torch.allclose(states.h[t], state.h, atol=1e-5)
        assert torch.allclose(posterior.std[t], post.std, atol=1e-5)
        assert torch.allclose(prior.mean[t], wm.rssm.prior(state.h).mean, atol=1e-5)
