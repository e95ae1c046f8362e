"""Checkpoints as data: `NAME.safetensors` (every tensor) beside `NAME.json` (config and metadata).

Nothing is ever unpickled: tensors are parsed by safetensors, and their names, dtypes and shapes are
checked against what the declared config builds (`expected_tensor_specs`) before they are used.
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


def check_tensors(tensors: dict[str, torch.Tensor], config: dict | DreamerConfig) -> None:
    """Raise ValueError naming the first tensor that is missing, unexpected or of the wrong dtype/shape."""
    specs = expected_tensor_specs(config)
    missing = sorted(set(specs) - set(tensors))
    extra = sorted(set(tensors) - set(specs))
    if missing or extra:
        raise ValueError(f"checkpoint tensors do not match the config: missing {missing[:5]}, unexpected {extra[:5]}")
    for name, (dtype, shape) in specs.items():
        tensor = tensors[name]
        if _DTYPES.get(tensor.dtype) != dtype or tuple(tensor.shape) != shape:
            raise ValueError(f"tensor {name}: expected {dtype} {shape}, got {tensor.dtype} {tuple(tensor.shape)}")
        if not torch.isfinite(tensor).all():
            raise ValueError(f"tensor {name} holds NaN or infinite values")


def agent_from_tensors(tensors: dict[str, torch.Tensor], config: dict | DreamerConfig) -> HockeyDreamer:
    cfg = _config(config)
    check_tensors(tensors, cfg)
    agent = HockeyDreamer(cfg)
    agent.restore_state(tensors)
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
