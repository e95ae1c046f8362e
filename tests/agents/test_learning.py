"""Learning tests on the debug preset: the world model fits recorded games; the actor-critic finds
the best action of a fixed, known world model."""

import numpy as np
import pytest
import torch

from agents.config import make_config
from agents.hockey_dreamer import HockeyDreamer
from agents.models.behavior import Behavior
from agents.models.world_model import Imagination
from tests.support.agent_helpers import recorded_games

torch.set_num_threads(1)


def test_world_model_loss_falls_by_half_on_recorded_games():
    torch.manual_seed(0)
    config = make_config("debug", ["model_lr=1e-3", "seq_length=16", "batch_size=8"])
    buffer = recorded_games(games=6)
    agent = HockeyDreamer(config)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(250):
        batch = {k: torch.as_tensor(v) for k, v in buffer.sample(8, 16, rng).items()}
        loss, metrics, _ = agent.world_model.compute_loss(batch)
        agent.model_opt.zero_grad()
        loss.backward()
        agent.model_opt.step()
        losses.append(metrics["model_loss"])
    first, last = np.mean(losses[:10]), np.mean(losses[-10:])
    assert last <= 0.5 * first, f"world-model loss went from {first:.2f} to {last:.2f}"


class KnownWorld:
    """A fixed world model: the state never changes; the reward is 1 - |a - target|^2 / 8 per step.
    With `keep_graph` the reward stays differentiable in the action, as a learned reward head would be."""

    def __init__(self, target, feature_dim: int):
        self.target = torch.tensor(target, dtype=torch.float32)
        self.feature_dim = feature_dim

    def imagine(self, policy, start, horizon, keep_graph=False):
        with torch.set_grad_enabled(keep_graph):
            features = [start]
            actions, pre_tanhs = [], []
            for _ in range(horizon):
                action, pre_tanh = policy(features[-1])
                actions.append(action), pre_tanhs.append(pre_tanh)
                features.append(start)
            actions = torch.stack(actions)
            rewards = 1.0 - (actions - self.target).square().sum(-1) / 8.0
        return Imagination(torch.stack(features), actions, torch.stack(pre_tanhs), rewards, torch.ones_like(rewards))


@pytest.mark.parametrize("actor_gradient", ["dynamics", "reinforce"])
def test_actor_critic_learns_the_rewarded_action_of_a_known_world_model(actor_gradient):
    torch.manual_seed(0)
    config = make_config("debug", ["actor_lr=3e-3", "critic_lr=3e-3", "horizon=5", "gamma=0.5",
                                   f"actor_gradient={actor_gradient}"])
    behavior = Behavior(config, feature_dim=12)
    target = [0.6, -0.5, 0.3, -0.7]
    world = KnownWorld(target, 12)
    start = torch.randn(64, 12)
    def mean_action():
        with torch.no_grad():
            return torch.stack([behavior.policy(start).rsample()[0] for _ in range(20)]).mean((0, 1))

    before = mean_action()
    for _ in range(500):
        metrics = behavior.train_step(world, start, torch.ones(64))
    after = mean_action()
    error_before = (before - world.target).abs().max().item()
    error_after = (after - world.target).abs().max().item()
    assert error_after < 0.1, f"mean action {after.tolist()} is not near {target}"
    assert error_after < error_before / 2
    assert metrics["return"] > 0
