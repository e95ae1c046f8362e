"""What training prints and where it stops: no loss shown before the first gradient step, the share
of `--steps` done with an ETA, and exactly the steps asked for (the last round is cut)."""

from __future__ import annotations

import json
import re

import torch

from agents.config import make_config
from agents.training.metrics import Progress, duration, shown
from agents.training.trainer import Trainer

torch.set_num_threads(1)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_losses_are_a_dash_until_there_are_some():
    assert shown(None, ".3f") == "-" and shown(float("nan"), ".3f") == "-" and shown(1.23456, ".3f") == "1.235"


def test_progress_shows_the_share_and_an_eta_from_this_starts_steps():
    clock = Clock()
    progress = Progress(start=1_000_000, total=5_000_000, clock=clock)  # resumed at 1M steps
    assert progress.text(1_000_000) == "step 1000000/5000000 (20.0 %, ETA -)"
    clock.now = 100.0
    # 10,000 steps in 100 s since this start: 4M left take 40,000 s, not the 1M earlier steps' pace
    assert progress.text(1_010_000) == "step 1010000/5000000 (20.2 %, ETA 11 h 5 min)"
    assert progress.text(5_000_000).endswith("(100.0 %, done)")
    assert [duration(s) for s in (5, 600, 7200, 200_000)] == ["5 s", "10 min", "2 h", "2 d 7 h"]


def test_a_run_stops_at_exactly_its_steps_and_prints_no_nan(tmp_path, capsys):
    # no gradient step at all (the buffer never reaches train_start): the losses have no value yet
    config = make_config("debug", ["train_start=100000", "log_every=150", "eval_every=100000"])
    run = tmp_path / "run"
    trainer = Trainer(config, run, tensorboard=False, progress=True)
    counters = trainer.run(700)  # rounds of 4 games of up to 250 steps: the last one is cut
    assert counters["env_steps"] == 700
    assert (run / "checkpoints" / "step_000000700.safetensors").is_file()
    saved = json.loads((run / "state" / "trainer.json").read_text())
    assert saved["counters"]["env_steps"] == 700
    assert len(trainer.buffer) == 700 + trainer.buffer.num_episodes  # every step is kept, cut games too
    assert counters["games"] < trainer.buffer.num_episodes  # ... but a cut game is no game played
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("step ")]
    assert lines, out
    assert "nan" not in out
    assert all(line.endswith("wm - actor -") for line in lines), lines
    assert all(re.match(r"step \d+/700 \(\d+\.\d %, (ETA [^)]+|done)\) games \d+", line) for line in lines), lines
