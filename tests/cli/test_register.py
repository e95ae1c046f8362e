"""`league register FILE --agent NAME`: the kind, config and step follow from the file; mistakes are errors."""

from __future__ import annotations

import argparse
import json

import pytest

from league.cli import main
from league.cli.errors import CommandError
from league.cli.register import registration


def _args(file, **overrides) -> argparse.Namespace:
    values = {"file": file, "agent": "student", "step": None, "notes": "", "name": None}
    return argparse.Namespace(**{**values, **overrides})


def test_an_onnx_file_is_registered_as_kind_onnx_without_config(tmp_path):
    policy = tmp_path / "actor.onnx"
    policy.write_bytes(b"onnx bytes")
    meta, data = registration(_args(policy, step=7, notes="SAC", name="sac-final"))
    assert meta == {"agent": "student", "kind": "onnx", "config": {}, "step": 7, "notes": "SAC", "name": "sac-final"}
    assert data == b"onnx bytes"
    assert registration(_args(policy))[0]["step"] == 0


def test_a_dreamer_checkpoint_brings_its_config_and_step(tmp_path):
    weights = tmp_path / "run.safetensors"
    weights.write_bytes(b"tensors")
    weights.with_suffix(".json").write_text(json.dumps({"kind": "dreamer", "config": {"hidden": 32}, "step": 1200}))
    meta, data = registration(_args(weights))
    assert (meta["kind"], meta["config"], meta["step"], data) == ("dreamer", {"hidden": 32}, 1200, b"tensors")
    assert registration(_args(weights, step=5))[0]["step"] == 5


def test_mistakes_are_named(tmp_path):
    other = tmp_path / "actor.pt"
    other.write_bytes(b"pickle")
    with pytest.raises(CommandError, match="use an .onnx or a .safetensors file"):
        registration(_args(other))
    lonely = tmp_path / "lonely.safetensors"
    lonely.write_bytes(b"tensors")
    with pytest.raises(CommandError, match="has no lonely.json beside it"):
        registration(_args(lonely))
    with pytest.raises(CommandError, match="cannot read"):
        registration(_args(tmp_path / "missing.onnx"))
    with pytest.raises(CommandError, match="--step must be at least 0"):
        registration(_args(tmp_path / "missing.onnx", step=-1))


def test_the_command_needs_a_server_and_a_token(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("LEAGUE_SERVER_URL", raising=False)
    monkeypatch.delenv("LEAGUE_TOKEN", raising=False)
    policy = tmp_path / "actor.onnx"
    policy.write_bytes(b"onnx bytes")
    assert main(["register", str(policy), "--agent", "student"]) == 1
    assert "no server" in capsys.readouterr().err
    monkeypatch.setenv("LEAGUE_SERVER_URL", "http://127.0.0.1:9")
    assert main(["register", str(policy), "--agent", "student"]) == 1
    assert "no token: pass --token or set LEAGUE_TOKEN" in capsys.readouterr().err
