"""`python -m league`: the CLI as a child process, expected failures without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from league.core.settings import Settings
from tests.support.live_server import database_url


def run_league(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAGUE_")}
    return subprocess.run([sys.executable, "-m", "league", *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_python_dash_m_league_lists_the_commands():
    done = run_league("--help")
    assert done.returncode == 0 and "usage: league COMMAND" in done.stdout and "match-worker" in done.stdout


def test_an_expected_failure_is_one_line_not_a_traceback():
    done = run_league("match-worker")
    assert done.returncode == 1, done.stderr
    assert "league match-worker: error: no server given" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_live_server_uses_the_settings_default_database_file(tmp_path):
    assert database_url(tmp_path) == Settings(data_dir=tmp_path).resolved_database_url()
    assert database_url(tmp_path).endswith("/league.db")
