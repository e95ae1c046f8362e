"""`league play` with files for either side (a checkpoint with its .json, an ONNX policy), built
through the policy kinds, and `--save game.gif`: the game as an animated GIF, frame for frame."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from league.cli import main
from league.hockey.batch import basic_opponent_policy
from league.hockey.render import draw_positions
from league.hockey.replay import record_game
from tests.support.app_client import weights_for
from tests.support.league_helpers import TINY_CONFIG
from tests.support.onnx_models import mlp_bytes


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "tiny.safetensors"
    path.write_bytes(weights_for(TINY_CONFIG, seed=2))
    path.with_suffix(".json").write_text(json.dumps({"kind": "dreamer", "config": TINY_CONFIG, "step": 5}))
    return path


def _tally(out: str) -> int:
    wins, draws, losses = map(int, re.search(r"(\d+) wins, (\d+) draws, (\d+) losses", out).groups())
    return wins + draws + losses


def test_a_checkpoint_plays_a_basic_opponent(capsys, checkpoint):
    assert main(["play", "--one", str(checkpoint), "--two", "weak", "--games", "2"]) == 0
    out = capsys.readouterr().out
    assert "tiny.safetensors (player one) vs weak basic opponent (player two), 2 normal games" in out
    assert _tally(out) == 2


def test_an_onnx_policy_plays_a_checkpoint(capsys, checkpoint, tmp_path):
    onnx_path = tmp_path / "actor.onnx"
    onnx_path.write_bytes(mlp_bytes(hidden=8, seed=1))
    assert main(["play", "--one", str(checkpoint), "--two", str(onnx_path), "--games", "2", "--mode", "shooting"]) == 0
    out = capsys.readouterr().out
    assert "tiny.safetensors (player one) vs actor.onnx (player two), 2 shooting games" in out and _tally(out) == 2


def test_save_writes_the_first_game_as_a_gif_frame_for_frame(capsys, tmp_path):
    gif = tmp_path / "game.gif"
    # one game: the basic opponents draw their randomness per game of the batch, so a game played alone
    # is the same game only when it was alone in `league play` too
    assert main(["play", "--one", "strong", "--two", "weak", "--games", "1", "--seed", "7", "--save", str(gif)]) == 0
    out = capsys.readouterr().out
    steps = int(re.search(r"game 1 \(seed 7, (\d+) steps\) written to", out).group(1))
    # the same game again, as the record the GIF was drawn from
    record = record_game(basic_opponent_policy(False, seed=7), basic_opponent_policy(True, seed=8), 7)
    assert record["length"] == steps
    image = Image.open(io.BytesIO(gif.read_bytes()))
    assert image.format == "GIF" and image.n_frames == steps + 1
    frames = record["frames"]
    for k in (0, steps // 2, steps):
        image.seek(k)
        rink = np.asarray(image.convert("RGB"))[:480].astype(int)
        expected = draw_positions(frames["player_one"][k], frames["player_two"][k], frames["puck"][k]).astype(int)
        assert np.abs(rink - expected).mean() < 1.0, f"frame {k} differs"


@pytest.mark.parametrize("argv, message", [
    (["--one", "{dir}/nothing.safetensors"], "nothing.safetensors: no such file"),
    (["--one", "{dir}/alone.safetensors"], "alone.safetensors has no alone.json beside it"),
    (["--one", "{dir}/broken.onnx"], "broken.onnx: "),
    (["--save", "{dir}/game.mp4"], "only .gif files are written"),
])
def test_files_that_cannot_play_are_refused_clearly(capsys, tmp_path, argv, message):
    (tmp_path / "alone.safetensors").write_bytes(weights_for(TINY_CONFIG))
    (tmp_path / "broken.onnx").write_bytes(b"not an onnx model")
    assert main(["play", "--games", "1", *[a.format(dir=tmp_path) for a in argv]]) == 1
    assert message in capsys.readouterr().err
