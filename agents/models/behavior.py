"""Behaviour learned in imagination: a TanhNormal actor and a value critic with a slow target.

From each start state the world model imagines `horizon` steps under the actor. The critic's
slow copy values the imagined states; lambda-returns R_t combine predicted rewards, continuation
probabilities and those values. Then:

- the critic regresses V(s_t) onto R_t (MSE, R_t held fixed), plus a pull towards the slow
  critic's prediction; the slow critic follows the critic by an exponential moving average (step tau);
- with `replay_value_scale` > 0 the critic also regresses, with that weight, onto lambda-returns of
  the replayed sequences themselves (posterior states, the recorded rewards and continues, the slow
  critic's values to bootstrap; DreamerV3's "repval" loss), which ties it to what really happened;
- the actor maximises  A_t / S + entropy_scale * H[pi(. | s_t)],  where S = max(1, P95 - P5) of the
  returns, tracked by a moving average, so sparse +1/-1 rewards are not blown up. How A_t carries
  the gradient depends on `actor_gradient`:
  * "dynamics" (DreamerV3's choice for continuous actions): A_t = R_t - V(s_t), and R_t is
    differentiated through the learned dynamics: the actions are reparameterised samples, and the
    graph runs through the RSSM prior, the reward and continue heads and the slow critic's values
    into the returns. Only the actor's parameters receive these gradients (torch.autograd.grad);
    the world model and the critics stay as they are;
  * "reinforce": A_t = log pi(a_t | s_t) * sg(R_t - V(s_t)), a score-function estimate that needs
    no gradient through the model.

Each imagined step is weighted by the predicted probability that the game is still running (held fixed).
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import torch
from torch import nn

from agents.config import DreamerConfig
from agents.models.networks import mlp
from agents.models.world_model import Imagination
from agents.utils.distributions import TanhNormal, bounded_std
from agents.utils.math_ops import lambda_returns, replay_lambda_returns


class ReplayedSequences(NamedTuple):
    """Replayed sequences, time-major, in the buffer's alignment (see `agents.utils.buffer`)."""

    features: torch.Tensor  # (T, B, F): posterior states' features (no graph to the world model)
    rewards: torch.Tensor  # (T, B): reward of reaching entry t
    continues: torch.Tensor  # (T, B): 0 where entry t ends the game by a goal
    firsts: torch.Tensor  # (T, B): 1 where a new game starts


class ReturnNormalizer(nn.Module):
    """Moving 5th and 95th percentiles of the returns; scale = max(floor, P95 - P5)."""

    def __init__(self, decay: float, floor: float):
        super().__init__()
        self.decay, self.floor = decay, floor
        self.register_buffer("low", torch.zeros(()))
        self.register_buffer("high", torch.zeros(()))
        self.register_buffer("seen", torch.zeros(()))

    @torch.no_grad()
    def update(self, returns: torch.Tensor) -> None:
        flat = returns.detach().flatten().float()
        q = torch.quantile(flat[: 1 << 20], torch.tensor([0.05, 0.95], device=flat.device))
        if self.seen.item() == 0:
            self.low.copy_(q[0]), self.high.copy_(q[1])
        else:
            self.low.lerp_(q[0], 1 - self.decay), self.high.lerp_(q[1], 1 - self.decay)
        self.seen.fill_(1)

    def scale(self) -> torch.Tensor:
        return torch.clamp(self.high - self.low, min=self.floor)


class Behavior(nn.Module):
    def __init__(self, config: DreamerConfig, feature_dim: int):
        super().__init__()
        c = self.config = config
        self.actor = mlp(feature_dim, c.hidden, 2 * c.action_dim, c.mlp_layers)
        self.critic = mlp(feature_dim, c.hidden, 1, c.mlp_layers, zero_last=True)
        self.slow_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.return_norm = ReturnNormalizer(c.return_norm_decay, c.return_norm_floor)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=c.actor_lr, eps=1e-5)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=c.critic_lr, eps=1e-5)

    def policy(self, features: torch.Tensor) -> TanhNormal:
        mean, raw_std = self.actor(features).chunk(2, dim=-1)
        return TanhNormal(mean, bounded_std(raw_std, self.config.actor_min_std, self.config.actor_max_std))

    def sample_action(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A reparameterised (action, pre_tanh) for imagination. The actor sees the state without its graph
        (as in DreamerV3): gradients reach the actor through the action it chose, not through its input."""
        return self.policy(features.detach()).rsample()

    def imagine(self, world_model, start, start_weight: torch.Tensor) -> tuple[Imagination, torch.Tensor]:
        """Imagined trajectories from flat start states, with per-step weights (H, N) that carry no gradient.
        In "dynamics" mode the trajectories keep their autograd graph back to the actor's actions."""
        keep_graph = self.config.actor_gradient == "dynamics"
        imagined = world_model.imagine(self.sample_action, start, self.config.horizon, keep_graph=keep_graph)
        alive = torch.cumprod(torch.cat([start_weight[None], imagined.continues[:-1].detach()]), dim=0)
        return imagined, alive

    def returns(self, imagined: Imagination) -> tuple[torch.Tensor, torch.Tensor]:
        """(lambda-returns (H, N), slow critic's values of the states 0..H-1 (H, N), detached).

        In "dynamics" mode the returns are differentiable with respect to the imagined trajectory."""
        with torch.set_grad_enabled(self.config.actor_gradient == "dynamics"):
            slow = self.slow_critic(imagined.features).squeeze(-1).float()
            returns = lambda_returns(imagined.rewards.float(), imagined.continues.float(), slow[1:],
                                     self.config.gamma, self.config.lam)
        return returns, slow[:-1].detach()

    @torch.no_grad()
    def replay_returns(self, replay: ReplayedSequences) -> tuple[torch.Tensor, torch.Tensor]:
        """(lambda-returns (T - 1, B) of the replayed states 0..T-2 from the recorded rewards and
        continues, bootstrapped with the slow critic, and their weights (T - 1, B)); no graph."""
        slow = self.slow_critic(replay.features.detach()).squeeze(-1).float()
        return replay_lambda_returns(replay.rewards.float(), replay.continues.float(), replay.firsts.float(),
                                     slow, self.config.gamma, self.config.lam)

    def update_critic(self, imagined: Imagination, returns: torch.Tensor, slow: torch.Tensor,
                      weight: torch.Tensor, replay: ReplayedSequences | None = None) -> tuple[dict, torch.Tensor]:
        """One critic step on fixed targets; returns (metrics, the critic's values before the step, detached).
        With `replay` and `replay_value_scale` > 0 the loss adds that weight times the regression onto the
        replayed sequences' returns (`replay_returns`). The slow critic moves afterwards, in `update_slow_critic`."""
        returns, slow, weight = returns.detach(), slow.detach(), weight.detach()
        value = self.critic(imagined.features[:-1].detach()).squeeze(-1).float()
        loss = (weight * ((value - returns).square() + self.config.slow_critic_reg * (value - slow).square())).mean()
        metrics = {"value": value.mean().item(), "return": returns.mean().item()}
        if replay is not None and self.config.replay_value_scale > 0:
            targets, replay_weight = self.replay_returns(replay)
            replay_value = self.critic(replay.features[:-1].detach()).squeeze(-1).float()
            replay_loss = (replay_weight * (replay_value - targets).square()).sum() / replay_weight.sum().clamp(min=1)
            loss = loss + self.config.replay_value_scale * replay_loss
            metrics.update({"replay_critic_loss": replay_loss.item(), "replay_value": replay_value.mean().item(),
                            "replay_return": targets.mean().item()})
        metrics["critic_loss"] = loss.item()
        metrics["critic_grad_norm"] = _step(self.critic_opt, self.critic, loss, self.config.grad_clip)
        return metrics, value.detach()

    @torch.no_grad()
    def update_slow_critic(self) -> None:
        """Move the slow critic a step `slow_critic_tau` towards the critic."""
        for slow_p, fast_p in zip(self.slow_critic.parameters(), self.critic.parameters(), strict=True):
            slow_p.lerp_(fast_p, self.config.slow_critic_tau)

    def update_actor(self, imagined: Imagination, returns: torch.Tensor, baseline: torch.Tensor,
                     weight: torch.Tensor) -> dict:
        """One actor step on normalised advantages plus the entropy bonus (see the module docstring)."""
        advantage = (returns - baseline.detach()) / self.return_norm.scale()
        dynamics = self.config.actor_gradient == "dynamics"
        if dynamics and not advantage.requires_grad:
            raise ValueError("actor_gradient 'dynamics' needs returns differentiable through the imagined "
                             "trajectory (imagine with keep_graph=True)")
        dist = self.policy(imagined.features[:-1].detach())
        dist = TanhNormal(dist.mean.float(), dist.std.float())
        if dynamics:
            objective = advantage
        else:
            advantage = advantage.detach()
            objective = dist.log_prob(pre_tanh=imagined.pre_tanh.detach().float()) * advantage
        _, fresh_u = dist.rsample()
        entropy = dist.entropy(fresh_u)
        loss = -(weight.detach() * (objective + self.config.entropy_scale * entropy)).mean()
        metrics = {"actor_loss": loss.item(), "entropy": entropy.mean().item(),
                   "advantage_mag": advantage.detach().abs().mean().item(), "actor_std": dist.std.mean().item()}
        metrics["actor_grad_norm"] = _step(self.actor_opt, self.actor, loss, self.config.grad_clip)
        return metrics

    def train_step(self, world_model, start, start_weight: torch.Tensor,
                   replay: ReplayedSequences | None = None, learn_actor: bool = True) -> dict[str, float]:
        """One critic and (unless `learn_actor` is False) one actor update from imagined trajectories
        of `world_model` (and the replayed sequences, for the critic; see `update_critic`)."""
        imagined, weight = self.imagine(world_model, start, start_weight)
        weight = weight.float()
        returns, slow = self.returns(imagined)
        self.return_norm.update(returns)
        metrics, baseline = self.update_critic(imagined, returns, slow, weight, replay)
        if learn_actor:
            metrics.update(self.update_actor(imagined, returns, baseline, weight))
        self.update_slow_critic()  # after the actor: its returns' graph holds the slow critic's weights
        metrics["return_scale"] = self.return_norm.scale().item()
        metrics["imagined_reward"] = imagined.rewards.float().mean().item()
        return metrics


def _step(optimizer: torch.optim.Optimizer, module: nn.Module, loss: torch.Tensor, clip: float) -> float:
    """Clip and apply the gradient of `loss` for `module`'s parameters only: nothing else the loss depends
    on (the world model, the slow critic) gets a .grad."""
    params = [p for p in module.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    optimizer.zero_grad(set_to_none=True)
    for param, grad in zip(params, grads, strict=True):
        param.grad = grad
    norm = nn.utils.clip_grad_norm_(params, clip)
    optimizer.step()
    return float(norm)
