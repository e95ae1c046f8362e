"""Our Dreamer agent as an ONNX policy: one acting step, with the RSSM's memory as the recurrent state.

`DreamerStep` is what `HockeyDreamer.act(obs, deterministic=True)` computes for one step, as a
pure function of the observation and the state: encode the observation, advance the GRU with the
last latent and action, take the posterior's mean as the new latent, and act with the actor's
mode. The state is [h, z, previous action] (width recurrent + latent + 4), zeros at a game's
start, as `reset` leaves it. Slices with fixed bounds stand in for `chunk`, so the exported
graph holds no shape operators.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from agents.checkpoint import load_agent
from agents.hockey_dreamer import HockeyDreamer
from agents.utils.math_ops import symlog

OPSET = 17


class DreamerStep(nn.Module):
    """(obs [B, 18], state [B, H]) -> (action [B, 4], state_out [B, H]), the agent's deterministic step."""

    def __init__(self, agent: HockeyDreamer):
        super().__init__()
        self.encoder = agent.world_model.encoder
        self.rssm = agent.world_model.rssm
        self.actor = agent.behavior.actor
        self.recurrent = agent.config.recurrent
        self.latent = agent.config.latent
        self.action_dim = agent.config.action_dim

    @property
    def state_size(self) -> int:
        return self.recurrent + self.latent + self.action_dim

    def forward(self, obs: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rssm, split = self.rssm, self.recurrent + self.latent
        h, z, previous = state[:, : self.recurrent], state[:, self.recurrent : split], state[:, split:]
        embed = self.encoder(symlog(obs))
        h = rssm.gru(F.silu(rssm.in_norm(rssm.in_z(z) + rssm.in_a(previous))), h)
        posterior = rssm.post_out(F.silu(rssm.post_norm(rssm.post_h(h) + rssm.post_e(embed))))
        z = posterior[:, : self.latent]  # the posterior's mean
        action = torch.tanh(self.actor(torch.cat([h, z], dim=-1))[:, : self.action_dim])  # the actor's mode
        return action, torch.cat([h, z, action], dim=-1)


def export_agent(agent: HockeyDreamer, opset: int = OPSET) -> bytes:
    """The ONNX file (one self-contained file, batch dimension symbolic) of the agent's acting step."""
    step = DreamerStep(agent).eval()
    example = (torch.zeros(2, agent.config.obs_dim), torch.zeros(2, step.state_size))
    names = {"obs": {0: "batch"}, "state": {0: "batch"}, "action": {0: "batch"}, "state_out": {0: "batch"}}
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # the TorchScript exporter is chosen on purpose: it needs no onnxscript and writes one file
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        torch.onnx.export(step, example, buffer,  # type: ignore[arg-type]  # a file object is accepted
                          input_names=["obs", "state"], output_names=["action", "state_out"],
                          dynamic_axes=names, opset_version=opset, dynamo=False)
    return buffer.getvalue()


def export_checkpoint(checkpoint: str | Path, out: str | Path, opset: int = OPSET) -> bytes:
    """Export a checkpoint (its .safetensors with the .json beside it) to `out`; the bytes written."""
    agent, _ = load_agent(checkpoint)
    data = export_agent(agent, opset)
    Path(out).write_bytes(data)
    return data
