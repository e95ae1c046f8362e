"""Choose the training precision for this machine."""

from __future__ import annotations

from pathlib import Path

import torch


def cpu_has_bf16() -> bool:
    """Whether the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX), where autocast pays off."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(requested: str, device: str) -> str:
    """'auto' -> 'bf16' on CUDA or a CPU with native bfloat16, else 'fp32'."""
    if requested not in ("auto", "fp32", "bf16"):
        raise ValueError(f"precision must be auto, fp32 or bf16, got {requested!r}")
    if requested != "auto":
        return requested
    if torch.device(device).type == "cuda":
        return "bf16"
    return "bf16" if cpu_has_bf16() else "fp32"
