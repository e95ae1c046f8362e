"""The recurrent state-space model (RSSM): what the world model remembers and predicts.

The state has a deterministic part h (the GRU's memory, size `recurrent`) and a stochastic part
z (a diagonal Gaussian, size `latent`). Each step:

    h_t = GRU(h_{t-1}, [z_{t-1}, a_{t-1}])       the memory moves forward with the last action
    prior      p(z_t | h_t)                       what the model expects without looking
    posterior  q(z_t | h_t, embed_t)              what it believes after seeing the observation

Features for every head are [h, z]. For speed, the parts of each layer that depend only on the
data (the action's share of the GRU input, the embedding's share of the posterior) are computed
for all time steps at once in `observe`; only the recurrence itself runs step by step, and the
prior is computed for all steps after the loop.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from agents.config import DreamerConfig
from agents.models.networks import mlp


class State(NamedTuple):
    h: torch.Tensor  # (..., recurrent)
    z: torch.Tensor  # (..., latent)


class Gaussian(NamedTuple):
    mean: torch.Tensor
    std: torch.Tensor


def gaussian_kl(p: Gaussian, q: Gaussian) -> torch.Tensor:
    """KL(p || q) of diagonal Gaussians, summed over the last axis."""
    var_ratio = (p.std / q.std).square()
    mean_term = ((p.mean - q.mean) / q.std).square()
    return 0.5 * (var_ratio + mean_term - 1.0 - torch.log(var_ratio)).sum(-1)


class SequenceModel(nn.Module):
    def __init__(self, config: DreamerConfig, embed_dim: int):
        super().__init__()
        c = config
        self.latent, self.recurrent, self.min_std = c.latent, c.recurrent, c.min_latent_std
        # GRU input: Linear([z, a]) split into its z and a columns, then LayerNorm and SiLU.
        self.in_z = nn.Linear(c.latent, c.hidden)
        self.in_a = nn.Linear(c.action_dim, c.hidden, bias=False)
        self.in_norm = nn.LayerNorm(c.hidden)
        self.gru = nn.GRUCell(c.hidden, c.recurrent)
        self.prior_net = mlp(c.recurrent, c.hidden, 2 * c.latent, 1)
        # Posterior: Linear([h, embed]) split likewise, then LayerNorm, SiLU and the output layer.
        self.post_h = nn.Linear(c.recurrent, c.hidden)
        self.post_e = nn.Linear(embed_dim, c.hidden, bias=False)
        self.post_norm = nn.LayerNorm(c.hidden)
        self.post_out = nn.Linear(c.hidden, 2 * c.latent)

    @property
    def feature_dim(self) -> int:
        return self.recurrent + self.latent

    def initial_state(self, batch: int, device=None) -> State:
        device = device or self.post_out.weight.device
        return State(torch.zeros(batch, self.recurrent, device=device), torch.zeros(batch, self.latent, device=device))

    def _stats(self, raw: torch.Tensor) -> Gaussian:
        mean, std = raw.chunk(2, dim=-1)
        return Gaussian(mean, F.softplus(std) + self.min_std)

    def prior(self, h: torch.Tensor) -> Gaussian:
        return self._stats(self.prior_net(h))

    def _advance(self, state: State, action_in: torch.Tensor) -> torch.Tensor:
        x = F.silu(self.in_norm(self.in_z(state.z) + action_in))
        return self.gru(x, state.h)

    def _posterior(self, h: torch.Tensor, embed_in: torch.Tensor) -> Gaussian:
        return self._stats(self.post_out(F.silu(self.post_norm(self.post_h(h) + embed_in))))

    def prior_step(self, state: State, action: torch.Tensor, sample: bool = True) -> tuple[State, Gaussian]:
        """One imagined step: advance h with the action, draw z from the prior."""
        h = self._advance(state, self.in_a(action))
        prior = self.prior(h)
        z = prior.mean + prior.std * torch.randn_like(prior.std) if sample else prior.mean
        return State(h, z), prior

    def posterior_step(
        self, state: State, action: torch.Tensor, embed: torch.Tensor, first: torch.Tensor | None = None,
        sample: bool = True,
    ) -> tuple[State, Gaussian]:
        """One observed step: reset where a game starts (`first` = 1), advance h, draw z from q
        (or take its mean when `sample` is false)."""
        if first is not None:
            state = self._reset_where(state, first)
            action = action * (1.0 - first).unsqueeze(-1)
        h = self._advance(state, self.in_a(action))
        post = self._posterior(h, self.post_e(embed))
        z = post.mean + post.std * torch.randn_like(post.std) if sample else post.mean
        return State(h, z), post

    def _reset_where(self, state: State, first: torch.Tensor) -> State:
        keep = (1.0 - first).unsqueeze(-1)
        return State(state.h * keep, state.z * keep)

    def observe(
        self, embeds: torch.Tensor, actions: torch.Tensor, firsts: torch.Tensor, state: State | None = None
    ) -> tuple[State, Gaussian, Gaussian]:
        """Filter a batch of sequences (time-major: embeds (T, B, E), previous actions (T, B, A),
        firsts (T, B)). Returns the posterior states (T, B, ...), the posteriors and the priors.

        Same arithmetic as `posterior_step` in a loop, with fewer operations per step: the data-only
        terms (action, embedding, biases) are added before the loop, each step's two matrix products
        are fused with those additions (addmm), and the reset runs only at steps where a game starts."""
        steps, batch = firsts.shape
        if state is None:
            state = self.initial_state(batch, embeds.device)
        keep = (1.0 - firsts).unsqueeze(-1)
        action_in = self.in_a(actions * keep) + self.in_z.bias  # all steps at once
        embed_in = self.post_e(embeds) + self.post_h.bias
        w_z, w_h = self.in_z.weight.t(), self.post_h.weight.t()
        resets = firsts.any(dim=1).tolist()
        h, z = state
        hs, zs, means, stds = [], [], [], []
        noise = torch.randn(steps, batch, self.latent, device=embeds.device)
        for t in range(steps):
            if resets[t]:
                h, z = h * keep[t], z * keep[t]
            x = F.silu(self.in_norm(torch.addmm(action_in[t], z, w_z)))
            h = self.gru(x, h)
            raw = self.post_out(F.silu(self.post_norm(torch.addmm(embed_in[t], h, w_h))))
            mean, std = raw.chunk(2, dim=-1)
            std = F.softplus(std) + self.min_std
            z = torch.addcmul(mean, std, noise[t])
            hs.append(h), zs.append(z), means.append(mean), stds.append(std)
        h_all = torch.stack(hs)
        posterior = Gaussian(torch.stack(means), torch.stack(stds))
        prior = self.prior(h_all)  # all steps at once
        return State(h_all, torch.stack(zs)), posterior, prior

    @staticmethod
    def get_features(state: State) -> torch.Tensor:
        return torch.cat([state.h, state.z], dim=-1)
