"""TanhNormal: a diagonal Gaussian squashed by tanh into [-1, 1]^d, with bounded std."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def bounded_std(raw: torch.Tensor, min_std: float, max_std: float) -> torch.Tensor:
    """Map an unbounded network output into [min_std, max_std] (DreamerV3 keeps it in [0.1, 1])."""
    return min_std + (max_std - min_std) * torch.sigmoid(raw + 2.0)


class TanhNormal:
    """a = tanh(u), u ~ Normal(mean, std), independent per dimension.

    `log_prob` takes the pre-tanh sample u when it is known (exact, also at |a| -> 1), otherwise
    recovers it with atanh from a clamped a. The tanh correction uses the stable identity
    log(1 - tanh(u)^2) = 2 * (log 2 - u - softplus(-2u)).
    """

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        self.mean = mean
        self.std = std

    def rsample(self) -> tuple[torch.Tensor, torch.Tensor]:
        """A reparameterised sample: (action in (-1, 1), pre-tanh value u)."""
        u = self.mean + self.std * torch.randn_like(self.mean)
        return torch.tanh(u), u

    def mode(self) -> torch.Tensor:
        """tanh(mean): the deterministic action."""
        return torch.tanh(self.mean)

    @staticmethod
    def _log_det(u: torch.Tensor) -> torch.Tensor:
        return 2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u))

    def log_prob(self, action: torch.Tensor | None = None, pre_tanh: torch.Tensor | None = None) -> torch.Tensor:
        """Log density of an action, summed over the last axis."""
        if pre_tanh is None:
            if action is None:
                raise ValueError("log_prob needs the action or its pre-tanh value")
            pre_tanh = torch.atanh(action.clamp(-1 + 1e-6, 1 - 1e-6))
        z = (pre_tanh - self.mean) / self.std
        normal = -0.5 * z.square() - torch.log(self.std) - _LOG_SQRT_2PI
        return (normal - self._log_det(pre_tanh)).sum(-1)

    def entropy(self, pre_tanh: torch.Tensor) -> torch.Tensor:
        """One-sample estimate of the entropy, H = H(Normal) + E[log(1 - tanh(u)^2)], summed over the
        last axis; differentiable through the std and (for a reparameterised u) the mean."""
        normal = 0.5 + _LOG_SQRT_2PI + torch.log(self.std)
        return (normal + self._log_det(pre_tanh)).sum(-1)
