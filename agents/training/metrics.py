"""Metrics as JSON lines (always), TensorBoard (when available) and Weights & Biases (when asked), and
the pieces of the progress line printed off a terminal (`Progress`, `shown`)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
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


def shown(value: float | int | None, spec: str) -> str:
    """`value` formatted by `spec` for a progress line, or "-" while there is none (e.g. a loss before
    the first gradient step)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def duration(seconds: float) -> str:
    """'45 s', '12 min', '3 h 20 min', '2 d 5 h'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


class Progress:
    """How far a run is toward its step budget: 'step 3000/5000000 (0.1 %, ETA 3 h 20 min)'.

    The ETA comes from the steps of this start only (`start` is the step it started from), so a
    resumed run's earlier steps do not make it look faster than it is."""

    def __init__(self, start: int, total: int, clock: Callable[[], float] = time.monotonic):
        self.start, self.total, self.clock = start, max(1, total), clock
        self.started = clock()

    def text(self, step: int) -> str:
        share = 100 * min(step, self.total) / self.total
        done_here, elapsed = step - self.start, self.clock() - self.started
        if step >= self.total:
            eta = "done"
        elif done_here > 0 and elapsed > 0:
            eta = "ETA " + duration((self.total - step) * elapsed / done_here)
        else:
            eta = "ETA -"
        return f"step {step}/{self.total} ({share:.1f} %, {eta})"
