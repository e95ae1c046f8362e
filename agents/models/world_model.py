"""The world model: encoder, RSSM and the heads that predict observation, reward and continuation.

Trained on replayed sequences with

    loss = symlog-MSE(obs) + MSE(reward) + BCE(continue)
           + dyn_scale * max(free_bits, KL(sg(q) || p)) + rep_scale * max(free_bits, KL(q || sg(p)))

(KL balancing with free bits, as in DreamerV3). Its imagination rolls the prior forward under a
policy; the behaviour is learned from those imagined trajectories.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from agents.config import DreamerConfig
from agents.models.networks import mlp
from agents.models.sequence_model import SequenceModel, State, gaussian_kl
from agents.utils.math_ops import symlog


class Imagination(NamedTuple):
    features: torch.Tensor  # (H + 1, N, F): start state then H imagined states
    actions: torch.Tensor  # (H, N, A): the action taken in state t
    pre_tanh: torch.Tensor  # (H, N, A): its pre-tanh value (exact log-probabilities)
    rewards: torch.Tensor  # (H, N): predicted reward of reaching state t + 1
    continues: torch.Tensor  # (H, N): predicted probability that state t + 1 does not end the game


class WorldModel(nn.Module):
    def __init__(self, config: DreamerConfig):
        super().__init__()
        c = self.config = config
        self.encoder = mlp(c.obs_dim, c.hidden, c.hidden, c.mlp_layers - 1)
        self.rssm = SequenceModel(c, embed_dim=c.hidden)
        feat = self.rssm.feature_dim
        self.decoder = mlp(feat, c.hidden, c.obs_dim, c.mlp_layers)
        self.reward_head = mlp(feat, c.hidden, 1, c.mlp_layers, zero_last=True)
        self.continue_head = mlp(feat, c.hidden, 1, c.mlp_layers)

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        return self.encoder(symlog(obs))

    def observe(self, obs: torch.Tensor, prev_actions: torch.Tensor, firsts: torch.Tensor, state: State | None = None):
        """Posterior states for time-major sequences: obs (T, B, 18), previous actions (T, B, 4),
        firsts (T, B). Returns (states, posteriors, priors)."""
        return self.rssm.observe(self.encode(obs), prev_actions, firsts, state)

    def compute_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float], State]:
        """Loss on a batch of batch-major sequences (obs (B, T, 18), prev_action (B, T, 4), reward,
        cont, first (B, T)). Returns (loss, metrics, detached posterior states (T, B, ...))."""
        c = self.config
        obs, actions = batch["obs"].transpose(0, 1), batch["prev_action"].transpose(0, 1)
        reward, cont, first = (batch[k].transpose(0, 1) for k in ("reward", "cont", "first"))
        states, post, prior = self.observe(obs, actions, first)
        features = self.rssm.get_features(states)
        obs_loss = (self.decoder(features) - symlog(obs)).square().sum(-1).mean()
        reward_loss = (self.reward_head(features).squeeze(-1) - reward).square().mean()
        cont_loss = F.binary_cross_entropy_with_logits(self.continue_head(features).squeeze(-1), cont)
        dyn = gaussian_kl(_detached(post), prior)
        rep = gaussian_kl(post, _detached(prior))
        dyn_loss = torch.clamp(dyn, min=c.free_bits).mean()
        rep_loss = torch.clamp(rep, min=c.free_bits).mean()
        loss = obs_loss + reward_loss + cont_loss + c.kl_dyn_scale * dyn_loss + c.kl_rep_scale * rep_loss
        metrics = {
            "model_loss": loss.item(), "obs_loss": obs_loss.item(), "reward_loss": reward_loss.item(),
            "cont_loss": cont_loss.item(), "kl": dyn.mean().item(),
        }
        return loss, metrics, State(states.h.detach(), states.z.detach())

    def imagine(self, policy, start: State, horizon: int | None = None, keep_graph: bool = False) -> Imagination:
        """Roll the prior forward `horizon` steps (default: the config's, 15) from flat start states (N, ...) under
        `policy(features) -> (action, pre_tanh)`.

        With `keep_graph` the autograd graph runs from the policy's reparameterised actions through the
        prior steps into the features, rewards and continuation probabilities, so that returns computed
        from them can be backpropagated to the policy; without it nothing is recorded (REINFORCE needs
        no gradient through the model)."""
        with torch.set_grad_enabled(keep_graph):
            return self._rollout(policy, start, self.config.horizon if horizon is None else horizon)

    def _rollout(self, policy, start: State, horizon: int) -> Imagination:
        state = start
        features = [self.rssm.get_features(state)]
        actions, pre_tanhs = [], []
        for _ in range(horizon):
            action, pre_tanh = policy(features[-1])
            state, _ = self.rssm.prior_step(state, action)
            features.append(self.rssm.get_features(state))
            actions.append(action), pre_tanhs.append(pre_tanh)
        feats = torch.stack(features)
        rewards = self.reward_head(feats[1:]).squeeze(-1)
        continues = torch.sigmoid(self.continue_head(feats[1:]).squeeze(-1))
        return Imagination(feats, torch.stack(actions), torch.stack(pre_tanhs), rewards, continues)


def _detached(dist):
    return type(dist)(dist.mean.detach(), dist.std.detach())
