"""`make up` takes a port and any `league up` options (`make up PORT=8010 ARGS="..."`), and
`make up` alone still runs `league up` as it is. The set-up step is taken as done (`-o`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_up(*variables: str, dry_run: bool = False) -> subprocess.CompletedProcess:
    argv = ["make", "-s", "-o", ".venv/.installed", *(["-n"] if dry_run else []), "up", *variables]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)


def test_make_up_alone_runs_league_up_with_no_options():
    assert make_up(dry_run=True).stdout.split() == [".venv/bin/league", "up"]


def test_port_and_args_reach_league_up():
    # refused by league up itself: so the values did arrive (and nothing was started)
    done = make_up("PORT=70000")
    assert done.returncode != 0 and "--port must be between 1 and 65535, got 70000" in done.stderr
    done = make_up("PORT=8010", "ARGS=--match-workers -1 --trainers 0")
    assert done.returncode != 0 and "--match-workers must not be negative, got -1" in done.stderr
    assert make_up("PORT=8010", "ARGS=--trainers 0", dry_run=True).stdout.split() == [
        ".venv/bin/league", "up", "--port", "8010", "--trainers", "0"]
