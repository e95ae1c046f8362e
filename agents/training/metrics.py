"""Metrics as JSON lines (always), TensorBoard (when available) and Weights & Biases (when asked)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path


class MetricsLogger:
    """`log(step, metrics)` appends `{"step": ..., "time": ..., **metrics}` to metrics.jsonl.

    Every metric is a plain float or int, so a line can be posted as JSON as it is."""

    def __init__(self, run_dir: Path, tensorboard: bool = True, wandb: bool = False, run_name: str = "dreamer",
                 config: dict | None = None):
        self.path = Path(run_dir) / "metrics.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tb = None
        self._wandb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(Path(run_dir) / "tensorboard"))
            except ImportError:
                self._tb = None
        if wandb:
            try:
                import wandb as wandb_module
            except ImportError as error:
                raise RuntimeError("--wandb needs the wandb package (pip install wandb); "
                                   "WANDB_MODE=offline works without a network") from error
            self._wandb = wandb_module.init(project="hockey-league", name=run_name, config=config or {},
                                            dir=str(run_dir), resume="allow", id=run_name)

    def log(self, step: int, metrics: dict) -> dict:
        clean = {k: (float(v) if isinstance(v, float) else v) for k, v in metrics.items()
                 if isinstance(v, int | float) and not (isinstance(v, float) and not math.isfinite(v))}
        line = {"step": int(step), "time": round(time.time(), 3), **clean}
        with self.path.open("a") as handle:
            handle.write(json.dumps(line) + "\n")
        if self._tb is not None:
            for key, value in clean.items():
                self._tb.add_scalar(key.replace(".", "/"), value, step)
            self._tb.flush()
        if self._wandb is not None:
            self._wandb.log(clean, step=step)
        return line

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
        if self._wandb is not None:
            self._wandb.finish()


class RunningMeans:
    """Averages of metric dicts since the last `pop()`."""

    def __init__(self):
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def add(self, metrics: dict) -> None:
        for key, value in metrics.items():
            self.sums[key] = self.sums.get(key, 0.0) + float(value)
            self.counts[key] = self.counts.get(key, 0) + 1

    def pop(self) -> dict[str, float]:
        means = {k: self.sums[k] / self.counts[k] for k in self.sums}
        self.sums, self.counts = {}, {}
        return means
