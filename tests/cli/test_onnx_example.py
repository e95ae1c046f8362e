"""The README's example: `examples/sb3_style_actor.py` writes an ONNX actor the league accepts and plays."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from league.core.kinds import get_registrable_kind
from league.core.kinds.onnx.check import check_onnx
from league.core.kinds.onnx.policy import OnnxPolicy
from league.hockey.batch import basic_opponent_policy, play_games

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sb3_style_actor.py"


@pytest.mark.slow
def test_the_sb3_style_example_exports_a_policy_the_league_accepts(tmp_path):
    out = tmp_path / "my_actor.onnx"
    run = subprocess.run([sys.executable, str(EXAMPLE), str(out), "--seed", "4"], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"wrote {out}" in run.stdout and f"league register {out} --agent my-sac" in run.stdout
    assert "Warning" not in run.stderr
    data = out.read_bytes()
    get_registrable_kind("onnx").validate(data, {})  # every check and the trial run, as at registration
    assert check_onnx(data).state_size == 0
    policy = OnnxPolicy(data, 0)
    try:
        results = play_games(policy, basic_opponent_policy(weak=True), [0, 1])
    finally:
        policy.close()
    assert len(results) == 2 and all(result.end_reason in ("goal", "time_limit") for result in results)
