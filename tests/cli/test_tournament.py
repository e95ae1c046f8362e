"""`league tournament` against a real `league serve`, played by a real `league match-worker` process."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess

import httpx
import pytest

from league.cli import main
from league.cli.up import LEAGUE
from tests.support.live_server import running_server

ADMIN = "tournament-cli-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"


def _league(server, capsys, *args) -> str:
    assert main(["tournament", "--server", server.url, "--token", ADMIN, *args]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


@pytest.mark.slow
def test_a_tournament_from_the_command_line_played_by_a_real_worker(tmp_path, capsys):
    with running_server(tmp_path / "league", ADMIN, extra_env={"LEAGUE_QUEUE_TARGET": "0"}) as server:
        ids = [str(row["snapshot_id"]) for row in httpx.get(f"{server.url}/api/leaderboard").json()]
        out = _league(server, capsys, "create", "--name", "cli cup", "--participants", *ids, "--games-per-pair", "4",
                      "--seed", "11")
        assert "created tournament 1: 4 games, seed 11" in out and f"{server.url}/tournaments/1" in out
        assert "paused" in _league(server, capsys, "pause", "1").split()

        worker = subprocess.run(
            [*LEAGUE, "match-worker", "--server", server.url, "--name", "cli-worker", "--poll-interval", "0.2",
             "--idle-exit", "1", "--cache-dir", str(tmp_path / "cache")],
            env={**os.environ, "LEAGUE_TOKEN": ADMIN}, capture_output=True, text=True, timeout=120)
        assert worker.returncode == 0, worker.stderr
        assert httpx.get(f"{server.url}/api/tournaments/1").json()["games_played"] == 0  # paused: nothing played

        _league(server, capsys, "resume", "1")
        worker = subprocess.run(
            [*LEAGUE, "match-worker", "--server", server.url, "--name", "cli-worker", "--poll-interval", "0.2",
             "--max-jobs", "1", "--cache-dir", str(tmp_path / "cache")],
            env={**os.environ, "LEAGUE_TOKEN": ADMIN}, capture_output=True, text=True, timeout=180)
        assert worker.returncode == 0, worker.stderr

        shown = _league(server, capsys, "show", "1")
        assert "done" in shown and "4/4" in shown.replace(" ", "")
        assert "cli cup" in _league(server, capsys, "list")
        rows = list(csv.DictReader(io.StringIO(_league(server, capsys, "export", "1"))))
        assert sum(float(r["score"]) for r in rows) == 4
        target = tmp_path / "t.json"
        _league(server, capsys, "export", "1", "--format", "json", "--output", str(target))
        exported = json.loads(target.read_text())
        assert len(exported["games"]) == 4 and exported["state"] == "done"

        _league(server, capsys, "create", "--name", "called off", "--top", "2", "--games-per-pair", "2", "--unrated")
        assert "cancelled" in _league(server, capsys, "cancel", "2")
        assert main(["tournament", "--server", server.url, "--token", ADMIN, "cancel", "2"]) == 1
        assert "409" in capsys.readouterr().err
        assert main(["tournament", "--server", server.url, "--token", ADMIN, "create", "--name", "x",
                     "--participants", ids[0], "--games-per-pair", "2"]) == 1
        assert "at least two participants" in capsys.readouterr().err


def test_writes_need_a_token(monkeypatch, capsys):
    monkeypatch.delenv("LEAGUE_TOKEN", raising=False)
    assert main(["tournament", "--server", "http://127.0.0.1:9", "pause", "1"]) == 1
    assert "no token" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["create", "--name", "x", "--games-per-pair", "2"], ["export"]])
def test_usage_mistakes_are_argparse_errors(args):
    with pytest.raises(SystemExit):
        main(["tournament", "--server", "http://127.0.0.1:9", *args])
