"""`league export-onnx`: our Dreamer as an ONNX policy that acts like the checkpoint over whole games."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from agents.checkpoint import load_policy, save_checkpoint
from agents.config import make_config
from agents.hockey_dreamer import HockeyDreamer
from league.cli import main
from league.core.kinds.onnx.check import check_onnx
from league.core.kinds.onnx.policy import OnnxPolicy
from league.hockey.batch import basic_opponent_policy, play_games
from tests.support import onnx_models as models

TRAINED = Path(__file__).resolve().parents[2] / "checkpoints" / "dreamer.safetensors"


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def checkpoint(tmp_path) -> Path:
    torch.manual_seed(3)
    return save_checkpoint(tmp_path / "tiny", HockeyDreamer(make_config("debug")), {"step": 1200})


def _acts_like_the_checkpoint(checkpoint: Path, onnx_file: Path, seeds: list[int]) -> None:
    reference = models.RecordingPolicy(load_policy(checkpoint))
    played = play_games(reference, basic_opponent_policy(weak=False, seed=5), seeds)
    data = onnx_file.read_bytes()
    policy = OnnxPolicy(data, check_onnx(data).state_size)
    try:
        worst, steps = models.replay_difference(reference.calls, policy)
        again = play_games(policy, basic_opponent_policy(weak=False, seed=5), seeds)
    finally:
        policy.close()
    assert steps == max(game.length for game in played) > 20
    assert worst < 1e-4, worst
    assert [(g.winner, g.length) for g in again] == [(g.winner, g.length) for g in played]


def test_an_exported_checkpoint_acts_like_the_checkpoint(checkpoint, tmp_path, capsys):
    out = tmp_path / "exported" / "tiny.onnx"
    assert main(["export-onnx", str(checkpoint), str(out)]) == 0
    printed = capsys.readouterr().out
    config = make_config("debug")
    width = config.recurrent + config.latent + 4
    assert f"recurrent state of width {width}" in printed and "trial run:" in printed
    assert f"league register {out} --agent NAME" in printed
    assert check_onnx(out.read_bytes()).state_size == width
    _acts_like_the_checkpoint(checkpoint, out, [0, 1, 2, 3])


@pytest.mark.skipif(not TRAINED.exists(), reason="the trained checkpoint is not in this checkout")
def test_the_trained_checkpoint_exports_and_acts_like_itself(tmp_path, capsys):
    out = tmp_path / "dreamer.onnx"
    assert main(["export-onnx", str(TRAINED), str(out)]) == 0
    assert "recurrent state of width 324" in capsys.readouterr().out
    _acts_like_the_checkpoint(TRAINED, out, [10, 11, 12, 13])


def test_mistakes_are_errors_without_a_traceback(checkpoint, tmp_path, capsys):
    assert main(["export-onnx", str(checkpoint), str(tmp_path / "policy.bin")]) == 1
    assert "must end in .onnx" in capsys.readouterr().err
    assert main(["export-onnx", str(tmp_path / "missing.safetensors"), str(tmp_path / "policy.onnx")]) == 1
    assert "no checkpoint at" in capsys.readouterr().err
    assert not (tmp_path / "policy.onnx").exists()
