"""Behaviour learned in imagination: a TanhNormal actor and a value critic with a slow target.

From each start state the world model imagines `horizon` steps under the actor. The critic's
slow copy values the imagined states; lambda-returns R_t combine predicted rewards, continuation
probabilities and those values. Then:

- the critic regresses V(s_t) onto R_t (MSE), plus a pull towards the slow critic's prediction;
  the slow critic follows the critic by an exponential moving average (step tau);
- the actor maximises  log pi(a_t | s_t) * (R_t - V(s_t)) / S  + entropy_scale * H[pi(. | s_t)]
  (REINFORCE, the estimator the current DreamerV3 uses for every action space), where S = max(1, P95 - P5) of the
  returns, tracked by a moving average, so sparse +1/-1 rewards are not blown up.

Each imagined step is weighted by the predicted probability that the game is still running.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from agents.config import DreamerConfig
from agents.models.networks import mlp
from agents.models.world_model import Imagination
from agents.utils.distributions import TanhNormal, bounded_std
from agents.utils.math_ops import lambda_returns


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
        return self.policy(features).rsample()

    def imagine(self, world_model, start, start_weight: torch.Tensor) -> tuple[Imagination, torch.Tensor]:
        """Imagined trajectories from flat start states, with per-step weights (H, N)."""
        imagined = world_model.imagine(self.sample_action, start, self.config.horizon)
        alive = torch.cumprod(torch.cat([start_weight[None], imagined.continues[:-1]]), dim=0)
        return imagined, alive

    def returns(self, imagined: Imagination) -> tuple[torch.Tensor, torch.Tensor]:
        """(lambda-returns (H, N), slow critic's values of the states 0..H-1 (H, N))."""
        with torch.no_grad():
            slow = self.slow_critic(imagined.features).squeeze(-1).float()
            returns = lambda_returns(imagined.rewards.float(), imagined.continues.float(), slow[1:],
                                     self.config.gamma, self.config.lam)
        return returns, slow[:-1]

    def update_critic(self, imagined: Imagination, returns: torch.Tensor, slow: torch.Tensor,
                      weight: torch.Tensor) -> tuple[dict, torch.Tensor]:
        """One critic step; returns (metrics, the critic's values before the step, detached)."""
        value = self.critic(imagined.features[:-1]).squeeze(-1).float()
        loss = (weight * ((value - returns).square() + self.config.slow_critic_reg * (value - slow).square())).mean()
        metrics = {"critic_loss": loss.item(), "value": value.mean().item(), "return": returns.mean().item()}
        metrics["critic_grad_norm"] = _step(self.critic_opt, self.critic, loss, self.config.grad_clip)
        with torch.no_grad():
            for slow_p, fast_p in zip(self.slow_critic.parameters(), self.critic.parameters(), strict=True):
                slow_p.lerp_(fast_p, self.config.slow_critic_tau)
        return metrics, value.detach()

    def update_actor(self, imagined: Imagination, returns: torch.Tensor, baseline: torch.Tensor,
                     weight: torch.Tensor) -> dict:
        """One actor step: REINFORCE on normalised advantages plus the entropy bonus."""
        advantage = (returns - baseline) / self.return_norm.scale()
        dist = self.policy(imagined.features[:-1])
        dist = TanhNormal(dist.mean.float(), dist.std.float())
        log_prob = dist.log_prob(pre_tanh=imagined.pre_tanh.float())
        _, fresh_u = dist.rsample()
        entropy = dist.entropy(fresh_u)
        loss = -(weight * (log_prob * advantage + self.config.entropy_scale * entropy)).mean()
        metrics = {"actor_loss": loss.item(), "entropy": entropy.mean().item(),
                   "advantage_mag": advantage.abs().mean().item(), "actor_std": dist.std.mean().item()}
        metrics["actor_grad_norm"] = _step(self.actor_opt, self.actor, loss, self.config.grad_clip)
        return metrics

    def train_step(self, world_model, start, start_weight: torch.Tensor) -> dict[str, float]:
        """One critic and one actor update from imagined trajectories of `world_model`."""
        imagined, weight = self.imagine(world_model, start, start_weight)
        weight = weight.float()
        returns, slow = self.returns(imagined)
        self.return_norm.update(returns)
        metrics, baseline = self.update_critic(imagined, returns, slow, weight)
        metrics.update(self.update_actor(imagined, returns, baseline, weight))
        metrics["return_scale"] = self.return_norm.scale().item()
        metrics["imagined_reward"] = imagined.rewards.float().mean().item()
        return metrics


def _step(optimizer: torch.optim.Optimizer, module: nn.Module, loss: torch.Tensor, clip: float) -> float:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(module.parameters(), clip)
    optimizer.step()
    return float(norm)
