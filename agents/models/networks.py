"""Building blocks: MLPs with LayerNorm and SiLU, as in DreamerV3."""

from __future__ import annotations

from torch import nn


def mlp(in_dim: int, hidden: int, out_dim: int, layers: int, zero_last: bool = False) -> nn.Sequential:
    """`layers` hidden blocks (Linear, LayerNorm, SiLU) then a Linear output layer.

    `zero_last` starts the output at exactly 0 (reward and value heads: no early bias)."""
    blocks: list[nn.Module] = []
    width = in_dim
    for _ in range(layers):
        blocks += [nn.Linear(width, hidden), nn.LayerNorm(hidden), nn.SiLU()]
        width = hidden
    out = nn.Linear(width, out_dim)
    if zero_last:
        nn.init.zeros_(out.weight)
        nn.init.zeros_(out.bias)
    blocks.append(out)
    return nn.Sequential(*blocks)
