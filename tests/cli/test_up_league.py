"""`league up` end to end: a real league on a temporary directory, then Ctrl-C.

Within a few minutes the trainer (debug preset) has registered a checkpoint, match workers have
played and rated matches, and the leaderboard lists the checkpoint beside the basic opponents.
After SIGINT (what Ctrl-C sends) no process of the league is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest

from league.cli.up import LEAGUE
from tests.support.live_server import free_port
from tests.support.processes import port_is_free, processes_with_data_dir

pytestmark = pytest.mark.slow


def _get(url: str, path: str, **params):
    try:
        response = httpx.get(f"{url}{path}", params=params, timeout=5)
        return response.json() if response.status_code == 200 else None
    except (httpx.TransportError, ValueError):
        return None


def test_league_up_runs_a_league_and_stops_cleanly_on_ctrl_c(tmp_path):
    data_dir, port = tmp_path / "league-data", free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "LEAGUE_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("LEAGUE_ADMIN_TOKEN", None)
    env.pop("LEAGUE_DATABASE_URL", None)
    output = open(tmp_path / "up.log", "wb")  # noqa: SIM115
    up = subprocess.Popen(
        [*LEAGUE, "up", "--port", str(port), "--match-workers", "2", "--trainers", "1", "--trainer-preset", "debug",
         "--register-every", "500", "--status-every", "5", "--checkpoints", str(tmp_path / "no-checkpoints")],
        env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        board = None
        while time.monotonic() < deadline:
            assert up.poll() is None, (tmp_path / "up.log").read_text()
            board = _get(url, "/api/leaderboard")
            if board and any(row["kind"] == "dreamer" and row["games"] > 0 for row in board):
                break
            time.sleep(2)
        else:
            pytest.fail(f"no rated checkpoint in time; leaderboard {board}\n{(tmp_path / 'up.log').read_text()}")
        kinds = {row["kind"] for row in board}
        assert {"basic_weak", "basic_strong", "dreamer"} <= kinds
        assert sum(row["games"] for row in board) > 0
        done = _get(url, "/api/matches", state="done", limit=5)
        assert done and done["total"] > 0
        # every match worker plays under a token of its own (the token's name is its name on the server)
        assert {m["worker"] for m in done["items"]} <= {"league up match-worker-1", "league up match-worker-2"}
        metrics_agent = next(row["agent"] for row in board if row["kind"] == "dreamer")
        posted = _get(url, f"/api/agents/{metrics_agent}/metrics")
        assert posted, "the trainer's metrics should reach the server"
        assert processes_with_data_dir(data_dir), "the league's processes should be visible while it runs"
    finally:
        up.send_signal(signal.SIGINT)
        try:
            code = up.wait(timeout=120)
        except subprocess.TimeoutExpired:
            up.kill()
            code = "hung"
        output.close()
    log = (tmp_path / "up.log").read_text()
    assert code == 0, log
    assert f"dashboard: {url}/" in log
    assert "stopped; no process left" in log
    assert "Traceback" not in log
    assert processes_with_data_dir(data_dir) == []
    assert port_is_free(port)
    # every child logged to its own file; the trainer saved its run on the way out
    logs = {p.name for p in (data_dir / "logs").iterdir()}
    assert {"server.log", "trainer-1.log", "match-worker-1.log", "match-worker-2.log"} <= logs
    assert (data_dir / "runs" / "trainer-1" / "state" / "trainer.json").exists()
    assert metrics_agent.startswith("dreamer-debug-1")
