"""HockeyDreamer: the world model and the behaviour together, acting in games and learning from replay."""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn

from agents.config import DreamerConfig
from agents.models.behavior import Behavior, ReplayedSequences
from agents.models.sequence_model import State
from agents.models.world_model import WorldModel


class HockeyDreamer(nn.Module):
    """The agent. `act` filters observations through the RSSM and answers with the actor's action;
    `train_step` does one world-model update and one actor and critic update in imagination."""

    def __init__(self, config: DreamerConfig, device: str | torch.device = "cpu", precision: str = "fp32"):
        super().__init__()
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {precision!r}")
        self.config = config
        self.precision = precision
        self.world_model = WorldModel(config)
        self.behavior = Behavior(config, self.world_model.rssm.feature_dim)
        self.model_opt = torch.optim.Adam(self.world_model.parameters(), lr=config.model_lr, eps=1e-8)
        self.to(device)
        self.device = torch.device(device)
        self._state: State | None = None
        self._prev_action: torch.Tensor | None = None

    # ----- acting -----
    def reset(self, n: int = 1) -> None:
        """Start n new games: clear the recurrent state."""
        self._state = self.world_model.rssm.initial_state(n, self.device)
        self._prev_action = torch.zeros(n, self.config.action_dim, device=self.device)

    @torch.no_grad()
    def act(self, obs: np.ndarray, deterministic: bool = False) -> np.ndarray:
        """obs (18,) -> action (4,), or obs (n, 18) -> actions (n, 4); own (player-one) view.

        Deterministic acting takes the posterior's mean and the actor's mode; otherwise both are sampled."""
        obs = np.asarray(obs, dtype=np.float32)
        single = obs.ndim == 1
        batch = torch.as_tensor(obs.reshape(-1, self.config.obs_dim), device=self.device)
        if self._state is None or self._state.h.shape[0] != batch.shape[0]:
            self.reset(batch.shape[0])
        embed = self.world_model.encode(batch)
        self._state, _ = self.world_model.rssm.posterior_step(self._state, self._prev_action, embed,
                                                               sample=not deterministic)
        dist = self.behavior.policy(self.world_model.rssm.get_features(self._state))
        action = dist.mode() if deterministic else dist.rsample()[0]
        self._prev_action = action
        out = action.cpu().numpy()
        return out[0] if single else out

    def keep_rows(self, rows: np.ndarray) -> None:
        """Keep the recurrent state of these games only (the others have finished)."""
        index = torch.as_tensor(np.asarray(rows), dtype=torch.long, device=self.device)
        self._state = State(self._state.h[index], self._state.z[index])
        self._prev_action = self._prev_action[index]

    # ----- learning -----
    def train_step(self, batch: dict[str, np.ndarray], learn_actor: bool = True) -> dict[str, float]:
        """One gradient step on a replay batch (see `EpisodeBuffer.sample`); the actor's only when
        `learn_actor`. Returns float metrics."""
        tensors = {k: torch.as_tensor(v, dtype=torch.float32, device=self.device) for k, v in batch.items()}
        loss, metrics, posterior = self.world_model.compute_loss(tensors)
        self.model_opt.zero_grad(set_to_none=True)
        loss.backward()
        metrics["model_grad_norm"] = float(nn.utils.clip_grad_norm_(self.world_model.parameters(), self.config.grad_clip))
        self.model_opt.step()
        stride = self.config.imagine_stride
        offset = int(torch.randint(stride, ())) if stride > 1 else 0
        h, z = posterior.h[offset::stride], posterior.z[offset::stride]  # (T / stride, B, ...)
        start = State(h.reshape(-1, h.shape[-1]), z.reshape(-1, z.shape[-1]))
        start_weight = tensors["cont"].transpose(0, 1)[offset::stride].reshape(-1)
        replay = None
        if self.config.replay_value_scale > 0:
            with torch.no_grad():
                replay = ReplayedSequences(self.world_model.rssm.get_features(posterior),
                                           *(tensors[k].transpose(0, 1) for k in ("reward", "cont", "first")))
        with self._behavior_precision():
            metrics.update(self.behavior.train_step(self.world_model, start, start_weight, replay, learn_actor))
        return metrics

    def _behavior_precision(self):
        """bfloat16 autocast for imagination and the actor-critic (half the matmul time on CPUs with
        AVX512-BF16 or on GPUs); parameters, optimiser states and losses stay float32."""
        if self.precision != "bf16":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    # ----- snapshots -----
    def state(self) -> dict[str, torch.Tensor]:
        """All weights and normalisers (no optimiser state) as name -> tensor copies."""
        return {k: v.detach().cpu().clone() for k, v in self.state_dict().items()}

    def restore_state(self, state: dict[str, torch.Tensor]) -> None:
        self.load_state_dict(state, strict=True)
        self._state = None

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"model": self.model_opt, "actor": self.behavior.actor_opt, "critic": self.behavior.critic_opt}

    def optimizer_tensors(self) -> dict[str, torch.Tensor]:
        """Optimiser moments and step counts as flat name -> tensor (for safetensors)."""
        out = {}
        for name, opt in self.optimizers().items():
            for index, slot in opt.state_dict()["state"].items():
                for key, value in slot.items():
                    out[f"{name}.{index}.{key}"] = torch.as_tensor(value).detach().cpu().clone()
        return out

    def load_optimizer_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        for name, opt in self.optimizers().items():
            saved = opt.state_dict()
            slots: dict[int, dict] = {}
            for key, value in tensors.items():
                opt_name, index, field = key.split(".", 2)
                if opt_name == name:
                    slots.setdefault(int(index), {})[field] = value.to(self.device) if field != "step" else value
            opt.load_state_dict({"state": slots, "param_groups": saved["param_groups"]})
