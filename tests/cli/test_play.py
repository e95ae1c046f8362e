"""`league play`: built-in opponents play each other and the tally is printed."""

from __future__ import annotations

import re

import pytest

from league.cli import main


def test_play_prints_the_tally(capsys):
    assert main(["play", "--games", "6", "--one", "strong", "--two", "weak", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "strong basic opponent (player one) vs weak basic opponent (player two), 6 normal games" in out
    wins, draws, losses = map(int, re.search(r"(\d+) wins, (\d+) draws, (\d+) losses", out).groups())
    assert wins + draws + losses == 6


def test_play_in_a_training_mode(capsys):
    assert main(["play", "--games", "2", "--mode", "defense"]) == 0
    assert "2 defense games" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--games", "0"], "expected at least 1, got 0"),
        (["--games", "many"], "expected a whole number, got 'many'"),
        (["--one", "medium"], "expected weak, strong, a checkpoint .safetensors (its .json beside it) or an .onnx "
                              "file, got 'medium'"),
        (["--mode", "attack"], "invalid choice: 'attack'"),
    ],
)
def test_bad_arguments_are_refused(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(["play", *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
