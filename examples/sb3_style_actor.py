"""Export a Stable-Baselines3-style actor as an ONNX policy for the hockey league.

An SB3 SAC (or TD3) policy keeps its actor in `model.policy.actor`: a feature extractor (the
identity for a flat observation), an MLP `latent_pi` and a head `mu` whose tanh is the
deterministic action. The league wants exactly that as a file: input `obs` float32 [B, 18],
output `action` float32 [B, 4], the batch dimension B left free.

    python examples/sb3_style_actor.py my_actor.onnx            # a fresh actor of the same shape
    # with your trained model instead (needs stable-baselines3):
    #   from stable_baselines3 import SAC
    #   export_actor(DeterministicActor.from_sb3(SAC.load("my_sac.zip").policy.actor), "my_actor.onnx")

Then `league register my_actor.onnx --agent my-sac` (or curl, see the README). If you trained
with observation normalisation (VecNormalize), put that arithmetic into `forward` too: the league
sends raw observations. Needs torch and onnxruntime only.
"""

from __future__ import annotations

import argparse
import io
import warnings
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from torch import nn

OBS_SIZE, ACTION_SIZE = 18, 4


class SB3StyleActor(nn.Module):
    """The layout of SB3's SAC actor for the hockey game: latent_pi (256-256, ReLU), mu and log_std."""

    def __init__(self, hidden: int = 256):
        super().__init__()
        self.latent_pi = nn.Sequential(nn.Linear(OBS_SIZE, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, ACTION_SIZE)
        self.log_std = nn.Linear(hidden, ACTION_SIZE)  # only for exploring; the league plays the mean


class DeterministicActor(nn.Module):
    """obs -> tanh(mu(latent_pi(features(obs)))): what the actor does with `deterministic=True`."""

    def __init__(self, latent_pi: nn.Module, mu: nn.Module, features: nn.Module | None = None):
        super().__init__()
        self.features = features or nn.Flatten()
        self.latent_pi, self.mu = latent_pi, mu

    @classmethod
    def from_sb3(cls, actor) -> DeterministicActor:
        """From SB3's `model.policy.actor` (SAC) or an `SB3StyleActor`."""
        return cls(actor.latent_pi, actor.mu, getattr(actor, "features_extractor", None))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.mu(self.latent_pi(self.features(obs))))


def export_actor(actor: nn.Module, path: str | Path) -> bytes:
    """Write `actor` as a one-file ONNX policy (obs [B, 18] -> action [B, 4]); returns its bytes."""
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)  # the TorchScript exporter, on purpose
        torch.onnx.export(actor.eval(), (torch.zeros(2, OBS_SIZE),), buffer, input_names=["obs"],
                          output_names=["action"], dynamic_axes={"obs": {0: "batch"}, "action": {0: "batch"}},
                          opset_version=17, dynamo=False)  # dynamo=False: one file, no onnxscript needed
    Path(path).write_bytes(buffer.getvalue())
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=Path("sb3_actor.onnx"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    actor = DeterministicActor.from_sb3(SB3StyleActor())
    data = export_actor(actor, args.out)
    obs = np.random.default_rng(args.seed).normal(size=(5, OBS_SIZE)).astype(np.float32)
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    exported = session.run(["action"], {"obs": obs})[0]
    with torch.no_grad():
        expected = actor(torch.from_numpy(obs)).numpy()
    print(f"wrote {args.out} ({len(data)} bytes); onnxruntime and torch differ by at most "
          f"{np.abs(exported - expected).max():.1e}")
    print(f"next: league register {args.out} --agent my-sac")


if __name__ == "__main__":
    main()
