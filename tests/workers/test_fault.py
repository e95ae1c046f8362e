"""Faults in a real league: a match worker killed mid-job, the server restarted twice.

Four `league match-worker` processes, each holding up to three leases at once, play against a real
`league serve` (SQLite file, short leases). One worker is killed with SIGKILL while it holds leases,
and the server is restarted twice while the others play. Afterwards every job has finished exactly once, no result is lost or counted
twice, and the stored ratings equal a recomputation from the stored game results.
"""

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
from league.core.models import Game, Match, Rating, RatingChange
from league.core.rating import Skill, initial_skill, pair_draw_probability, rate_game
from tests.support.live_server import database_url, free_port, start_server, stop_server

pytestmark = pytest.mark.slow

ADMIN = "fault-test-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"
SERVER_ENV = {"LEAGUE_LEASE_SECONDS": "4", "LEAGUE_QUEUE_TARGET": "6", "LEAGUE_GAMES_PER_MATCH": "2"}


def _start_worker(url: str, name: str, tmp_path: Path) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 (the process owns it)
    # a token of its own, named after the worker: the server knows a worker by its token
    made = httpx.post(f"{url}/api/tokens", json={"name": name, "role": "worker", "user": "admin"},
                      headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
    assert made.status_code == 201, made.text
    env = {**os.environ, "LEAGUE_TOKEN": made.json()["plaintext"], "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [*LEAGUE, "match-worker", "--server", url, "--name", name,
         "--poll-interval", "0.2", "--cache-dir", str(tmp_path / "cache"), "--matches", "3"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _matches(url: str, **params) -> list[dict]:
    try:
        body = httpx.get(f"{url}/api/matches", params={"limit": 500, **params}, timeout=5).json()
    except (httpx.TransportError, ValueError):
        return []
    return body["items"] if isinstance(body, dict) else body


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _recomputed_ratings(session: Session) -> dict[int, Skill]:
    """Replay every rated game, in the order it was rated, through the league's TrueSkill environment."""
    order: dict[int, int] = {}
    for change in session.scalars(select(RatingChange).order_by(RatingChange.id)):
        order.setdefault(change.game_id, change.id)
    skills: dict[int, Skill] = {}
    pairs: dict[frozenset[int], list[int]] = {}
    for game_id in sorted(order, key=order.get):
        game = session.get(Game, game_id)
        match = game.match
        one, two = ((match.snapshot_a_id, match.snapshot_b_id) if game.a_is_player_one
                    else (match.snapshot_b_id, match.snapshot_a_id))
        pair = pairs.setdefault(frozenset((one, two)), [0, 0])  # games, draws: each pair's own draw share
        skills[one], skills[two] = rate_game(skills.get(one, initial_skill()), skills.get(two, initial_skill()),
                                             game.winner, pair_draw_probability(*pair))
        pair[0] += 1
        pair[1] += game.winner == 0
    return skills


def test_killed_worker_and_restarted_server_lose_nothing_and_count_nothing_twice(tmp_path):
    data_dir, port = tmp_path / "league", free_port()
    server = start_server(data_dir, ADMIN, port=port, extra_env=SERVER_ENV)
    url = server.url
    workers = {f"fw-{i}": _start_worker(url, f"fw-{i}", tmp_path) for i in range(4)}
    killed_job = None
    try:
        _wait(lambda: len(_matches(url, state="done")) >= 3, 120, "the first finished matches")

        # SIGKILL fw-0 while it holds a lease (retry if its job finished in between)
        for _ in range(20):
            leased = _wait(lambda: [m for m in _matches(url, state="leased") if m["worker"] == "fw-0"], 30,
                           "a job leased to fw-0")
            os.killpg(workers["fw-0"].pid, signal.SIGKILL)
            workers["fw-0"].wait()
            time.sleep(1.0)  # a result already sent when the kill came may still land: then try again
            job = next(m for m in _matches(url) if m["id"] == leased[0]["id"])
            if job["state"] == "leased":
                killed_job = job["id"]
                break
            workers["fw-0"] = _start_worker(url, "fw-0", tmp_path)
        assert killed_job is not None, "never caught fw-0 in the middle of a job"

        # restart the server twice while the other three keep playing
        for _ in range(2):
            time.sleep(1.0)
            stop_server(server)
            time.sleep(1.5)
            server = start_server(data_dir, ADMIN, port=port, extra_env=SERVER_ENV)
        done_after_restarts = len(_matches(url, state="done"))

        # the killed worker's job comes back after its lease expires and is finished by another worker
        _wait(lambda: any(m["id"] == killed_job and m["state"] == "done" for m in _matches(url)), 90,
              "the killed worker's job to be played again")
        _wait(lambda: len(_matches(url, state="done")) >= done_after_restarts + 4, 90,
              "matches after the restarts")
    finally:
        for process in workers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        codes = {}
        for name, process in workers.items():
            try:
                codes[name] = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                codes[name] = "hung"
        stop_server(server)

    # the three survivors stopped cleanly on SIGTERM, after waiting out both restarts
    assert {name: code for name, code in codes.items() if name != "fw-0"} == {f"fw-{i}": 0 for i in (1, 2, 3)}
    logs = {name: (tmp_path / f"{name}.log").read_text() for name in workers}
    assert any("server back after" in log for log in logs.values()), logs
    assert not any("Traceback" in log for log in logs.values()), logs

    engine = create_engine(database_url(data_dir))
    with Session(engine) as session:
        matches = session.scalars(select(Match)).all()
        assert {m.state for m in matches} <= {"queued", "done"}, "a job was left leased or failed"
        done = {m.id: m for m in matches if m.state == "done"}
        assert done[killed_job].attempts >= 2

        # every reported job was counted, and each one exactly once
        reported = [int(job) for log in logs.values() for job in re.findall(r"^\S+ job (\d+) reported: ", log, re.M)]
        assert len(reported) == len(set(reported)), "a job was reported by two workers"
        assert set(reported) <= set(done)

        # every game of a finished match has one result and exactly two rating changes
        played = session.scalars(select(Game).where(Game.match_id.in_(done))).all()
        assert len(played) == sum(m.n_games for m in done.values())
        assert all(g.winner in (-1, 0, 1) for g in played)
        changes = session.scalars(select(RatingChange)).all()
        assert len(changes) == 2 * len(played)
        assert {c.game_id for c in changes} == {g.id for g in played}

        # ratings and counts equal a recomputation from the stored game results
        recomputed = _recomputed_ratings(session)
        ratings = {r.snapshot_id: r for r in session.scalars(select(Rating))}
        for snapshot_id, skill in recomputed.items():
            assert ratings[snapshot_id].mu == pytest.approx(skill.mu, abs=1e-9)
            assert ratings[snapshot_id].sigma == pytest.approx(skill.sigma, abs=1e-9)
        assert sum(r.games for r in ratings.values()) == 2 * len(played)
