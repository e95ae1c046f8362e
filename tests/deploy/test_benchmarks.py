"""Every benchmark still runs: each is started with `--smoke` (tiny sizes, one repetition).

The benchmarks import much of the league (the game, the agent, the core, the server, the workers
and the test support), so a moved or renamed module breaks this test rather than the next
measurement. Each must exit 0 and print its figures.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"

# benchmark -> what its output must contain (the figures it exists to print)
FIGURES = {
    "api_load.py": [r"loaded +leaderboard p50 +[\d.]+ ms", r"results +[\d.]+/s", r"none lost"],
    "dashboard.py": [r"GET / \(leaderboard page\) +[\d.]+ ", r"all pages within budget|over the \d+ ms budget"],
    "game_speed.py": [r"ours +[\d,]+ steps/s", r"batched \(play_games\) +[\d,]+ steps/s"],
    "league_throughput.py": [r"dreamer naive loop: +[\d.]+ games per CPU-second",
                             r"dreamer 1 worker\(s\), 4 matches: +[\d.]+ rated games per CPU-second \( *[\d.]+x naive\)"],
    "newcomer.py": [r"games between the checkpoint and its copy: \d+",
                    r"checks at which a placed trainee ranked above basic_strong: \d+ of \d+"],
    "onnx_play.py": [r"torch +[\d,]+ steps/s +onnx +[\d,]+ steps/s", r"refused in \d+ ms"],
    "rating_convergence.py": [r"ours \d+, random pairing \d+, ratio [\d.]+"],
    "rating_real.py": [r"CPU-s to tau >= 0.9 for good: ours \S+, random pairing \S+, round robin \S+",
                       r"games between the copies \d+"],
    "remote_throughput.py": [r"round trip \+\d+ ms: batched .* games/s .* ratio [\d.]+x"],
    "record_checks.py": [r"with record checks +[\d.]+ ms, without +[\d.]+ ms", r"replay [\d.]+ ms per record"],
    "server_under_attack.py": [r"idle +health median +[\d.]+ ms +worst +[\d.]+ ms",
                               r"both +health median +[\d.]+ ms +worst +[\d.]+ ms", r"target .* (met|MISSED)"],
    "train_speed.py": [r"default, reinforce +[\d.]+ +[\d.]+", r"small model vs default: x[\d.]+ updates per second",
                       r"collection: \d+ environment steps/s"],
}


def test_every_benchmark_has_a_smoke_run():
    assert sorted(path.name for path in BENCHMARKS.glob("*.py")) == sorted(FIGURES)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_benchmark_smoke_run(name):
    done = subprocess.run([sys.executable, str(BENCHMARKS / name), "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=400)
    assert done.returncode == 0, f"{name} --smoke exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    for figure in FIGURES[name]:
        assert re.search(figure, done.stdout), f"{name} --smoke printed no {figure!r}:\n{done.stdout}"
