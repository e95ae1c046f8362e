"""A match worker holding several leases, against a real server: each result once, every lease kept, and
on SIGTERM all of them finished (or, on a second one, released)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from league.cli.up import LEAGUE
from league.core.models import Match, RatingChange
from tests.support.live_server import database_url, running_server

pytestmark = pytest.mark.slow

ADMIN = "multi-lease-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"
LEASE_SECONDS = 0.6
GAMES = 8  # a round of 8 matches is 64 games in lock step: well past a lease on any machine of this kind
SERVER_ENV = {"LEAGUE_LEASE_SECONDS": str(LEASE_SECONDS), "LEAGUE_QUEUE_TARGET": "4",
              "LEAGUE_GAMES_PER_MATCH": str(GAMES)}


@pytest.fixture
def server(tmp_path):
    with running_server(tmp_path / "league", ADMIN, extra_env=SERVER_ENV) as live:
        yield live


def _worker(url: str, tmp_path: Path, *extra: str) -> subprocess.Popen:
    made = httpx.post(f"{url}/api/tokens", json={"name": "mw", "role": "worker", "user": "admin"},
                      headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
    assert made.status_code == 201, made.text
    env = {**os.environ, "LEAGUE_TOKEN": made.json()["plaintext"], "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([*LEAGUE, "match-worker", "--server", url, "--name", "mw", "--poll-interval", "0.2",
                             "--cache-dir", str(tmp_path / "cache"), "--matches", "8", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _matches(tmp_path: Path) -> list[Match]:
    engine = create_engine(database_url(tmp_path / "league"))
    try:
        with Session(engine) as session:
            return list(session.scalars(select(Match).order_by(Match.id)))
    finally:
        engine.dispose()


def _rated_games(tmp_path: Path) -> dict[int, int]:
    engine = create_engine(database_url(tmp_path / "league"))
    try:
        with Session(engine) as session:
            counts: dict[int, int] = {}
            for change in session.scalars(select(RatingChange)):
                counts[change.match_id] = counts.get(change.match_id, 0) + 1
            return counts
    finally:
        engine.dispose()


def _wait_leased(tmp_path: Path, timeout: float = 60) -> list[Match]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        leased = [m for m in _matches(tmp_path) if m.state == "leased" and m.worker == "mw"]
        if len(leased) >= 2:
            return leased
        time.sleep(0.1)
    raise AssertionError("the worker never held several leases")


def test_every_lease_is_kept_and_every_result_reported_exactly_once(server, tmp_path):
    worker = _worker(server.url, tmp_path, "--max-jobs", "16")
    out, _ = worker.communicate(timeout=300)
    assert worker.returncode == 0, out
    rounds = [float(s) for s in re.findall(r"round of \d+ jobs played in ([\d.]+) s", out)]
    assert rounds and max(rounds) > LEASE_SECONDS, out  # rounds outlast a lease: only heartbeats kept them
    assert "lease lost" not in out and "refused" not in out, out
    done = [m for m in _matches(tmp_path) if m.state == "done"]
    assert len(done) == 16 and all(m.attempts == 1 and m.deliveries == 1 for m in done)
    assert _rated_games(tmp_path) == {m.id: GAMES * 2 for m in done}  # 2 rating changes a game, once
    assert out.count(" reported: ") == 16


def test_sigterm_finishes_and_reports_every_held_lease(server, tmp_path):
    worker = _worker(server.url, tmp_path)
    try:
        held = {m.id for m in _wait_leased(tmp_path)}
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=120)
    finally:
        worker.kill()
    assert worker.returncode == 0, out
    matches = {m.id: m for m in _matches(tmp_path)}
    assert all(matches[i].state == "done" for i in held), out
    assert not [m for m in matches.values() if m.state == "leased"]
    rated = _rated_games(tmp_path)
    assert all(rated[m.id] == GAMES * 2 for m in matches.values() if m.state == "done")


def test_a_second_sigterm_releases_every_held_lease(server, tmp_path):
    worker = _worker(server.url, tmp_path)
    try:
        held = {m.id for m in _wait_leased(tmp_path)}
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=120)
    finally:
        worker.kill()
    assert worker.returncode == 130, out
    matches = {m.id: m for m in _matches(tmp_path)}
    assert not [m for m in matches.values() if m.state == "leased"], out
    unfinished = [i for i in held if matches[i].state != "done"]
    assert unfinished and all(matches[i].state == "queued" and matches[i].worker is None for i in unfinished), out
    assert all(matches[i].id not in _rated_games(tmp_path) for i in unfinished)
