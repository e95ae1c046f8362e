"""Checkpoints as data: `NAME.safetensors` (every tensor) beside `NAME.json` (config and metadata).

Nothing is ever unpickled: tensors are parsed by safetensors and loaded strictly (every tensor the
config builds, no other, each of its shape). `expected_tensor_specs` says what a config builds; the
league checks uploaded bytes against it (names, dtypes, shapes, finite values) before storing them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from agents.config import DreamerConfig
from agents.hockey_dreamer import HockeyDreamer
from agents.policy import DreamerPolicy

_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def _config(config: dict | DreamerConfig) -> DreamerConfig:
    return config if isinstance(config, DreamerConfig) else DreamerConfig.from_dict(config)


def expected_tensor_specs(config: dict | DreamerConfig) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Tensor name -> (safetensors dtype, shape) of a valid checkpoint for `config`.

    Raises ValueError for an invalid config. Builds the networks on the meta device (no memory)."""
    cfg = _config(config)
    with torch.device("meta"):
        agent = HockeyDreamer(cfg, device="meta")
    return {name: (_DTYPES[t.dtype], tuple(t.shape)) for name, t in agent.state_dict().items()}


def agent_from_tensors(tensors: dict[str, torch.Tensor], config: dict | DreamerConfig) -> HockeyDreamer:
    """The agent `config` builds, holding `tensors`; ValueError naming the tensors that are missing,
    unexpected or of another shape."""
    agent = HockeyDreamer(_config(config))
    try:
        agent.restore_state(tensors)
    except RuntimeError as error:  # load_state_dict(strict=True) lists every mismatch, one per line
        problems = [line.strip() for line in str(error).splitlines()[1:] if line.strip()] or [str(error)]
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise ValueError(f"checkpoint tensors do not match the config: {'; '.join(problems[:3])}{more}") from error
    return agent


def policy_from_bytes(data: bytes, config: dict) -> DreamerPolicy:
    """A policy from safetensors bytes and the config they were trained with (ValueError if they disagree)."""
    try:
        tensors = load_bytes(bytes(data))
    except Exception as error:  # safetensors raises its own error types for malformed data
        raise ValueError(f"not a valid safetensors file: {error}") from error
    return DreamerPolicy(agent_from_tensors(tensors, config))


def save_checkpoint(path: str | Path, agent: HockeyDreamer, metadata: dict | None = None) -> Path:
    """Write `path` (.safetensors) and its .json sidecar atomically; returns the .safetensors path."""
    path = _safetensors_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"kind": "dreamer", "config": agent.config.to_dict(), **(metadata or {})}
    _atomic_write(path, save_bytes(agent.state()))
    _atomic_write(path.with_suffix(".json"), json.dumps(meta, indent=2).encode())
    return path


def read_metadata(path: str | Path) -> dict:
    path = _safetensors_path(path)
    sidecar = path.with_suffix(".json")
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    if not sidecar.is_file():
        raise FileNotFoundError(f"checkpoint {path} has no {sidecar.name} beside it (config and metadata)")
    try:
        meta = json.loads(sidecar.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{sidecar}: not valid JSON ({error})") from error
    if not isinstance(meta, dict) or "config" not in meta:
        raise ValueError(f"{sidecar}: expected a JSON object with a 'config' field")
    return meta


def load_agent(path: str | Path) -> tuple[HockeyDreamer, dict]:
    """(agent with the checkpoint's weights, metadata)."""
    path = _safetensors_path(path)
    meta = read_metadata(path)
    try:
        tensors = load_bytes(path.read_bytes())
    except Exception as error:
        raise ValueError(f"{path}: not a valid safetensors file: {error}") from error
    return agent_from_tensors(tensors, meta["config"]), meta


def load_policy(path: str | Path) -> DreamerPolicy:
    """The policy of a checkpoint (path of its .safetensors file)."""
    agent, meta = load_agent(path)
    return DreamerPolicy(agent, name=Path(path).stem)


def _safetensors_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix == ".json":
        path = path.with_suffix(".safetensors")
    elif path.suffix != ".safetensors":
        path = path.with_name(path.name + ".safetensors")
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
