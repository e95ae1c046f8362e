"""A worker that forges results, against a real server and two honest match workers: its forged games
replay perfectly (real physics, invented actions), the honest workers' checks expose them, and it
loses its token and every result; the honest workers' own games reproduce on each other's machine."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from league.cli.up import LEAGUE
from league.core.models import ApiToken, AuditEntry, Game, Match, PairStats, Rating, RatingChange
from tests.support.live_server import database_url, running_server
from tests.support.played_games import played_report

pytestmark = pytest.mark.slow

ADMIN = "checks-admin-token-Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk8"
HEADERS = {"Authorization": f"Bearer {ADMIN}"}
SERVER_ENV = {"LEAGUE_CHECK_SHARE": "1", "LEAGUE_QUEUE_TARGET": "2", "LEAGUE_GAMES_PER_MATCH": "2"}
FORGED = 3  # a worker is caught once three of its checked results were outvoted


def _token(url: str, name: str) -> str:
    made = httpx.post(f"{url}/api/tokens", json={"name": name, "role": "worker", "user": "admin"},
                      headers=HEADERS, timeout=30)
    assert made.status_code == 201, made.text
    return made.json()["plaintext"]


def _honest_worker(url: str, tmp_path: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "LEAGUE_TOKEN": _token(url, name), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([*LEAGUE, "match-worker", "--server", url, "--name", name, "--poll-interval", "0.2",
                             "--cache-dir", str(tmp_path / f"cache-{name}")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _forge(url: str, token: str) -> list[int]:
    """Claim jobs and report every game as won by the weak basic opponent (really played games with
    invented actions: their records replay exactly); the ids of the jobs reported."""
    headers = {"Authorization": f"Bearer {token}"}
    reported = []
    while len(reported) < FORGED:
        job = httpx.post(f"{url}/api/jobs/claim", headers=headers, timeout=30).json()["job"]
        weak_is_a = job["snapshot_a"]["name"] == "basic_weak"
        games = [played_report(g["index"], g["seed"], g["one_starting"],
                               1 if g["a_is_player_one"] == weak_is_a else -1) for g in job["games"]]
        answer = httpx.post(f"{url}/api/jobs/{job['job_id']}/result", headers=headers, timeout=60,
                            json={"lease_id": job["lease_id"], "games": games})
        assert answer.status_code == 200, answer.text  # the server's replay cannot tell
        reported.append(job["job_id"])
    return reported


def test_a_forging_worker_is_caught_by_the_checks_of_honest_workers(tmp_path):
    with running_server(tmp_path / "league", ADMIN, extra_env=SERVER_ENV) as server:
        cheat = _token(server.url, "cheat")
        forged = _forge(server.url, cheat)
        workers = [_honest_worker(server.url, tmp_path, name) for name in ("honest-1", "honest-2")]
        engine = create_engine(database_url(tmp_path / "league"))
        try:
            deadline = time.monotonic() + 240
            with Session(engine) as session:
                while time.monotonic() < deadline:
                    session.expire_all()
                    matches = {m.id: m for m in session.scalars(select(Match).where(Match.id.in_(forged)))}
                    honest_confirmed = session.scalar(select(func.count()).select_from(Match).where(
                        Match.check_state == "confirmed", Match.id.not_in(forged)))
                    if all(m.state == "done" for m in matches.values()) and honest_confirmed >= 2 \
                            and session.scalar(select(ApiToken.revoked_at).where(ApiToken.name == "cheat")):
                        break
                    time.sleep(0.5)
                else:
                    logs = []
                    for worker in workers:
                        worker.terminate()
                        logs.append(worker.communicate(timeout=60)[0][-3000:])
                    every = [(m.id, m.state, m.check_state, m.verifies_match_id, m.worker) for m in
                             session.scalars(select(Match).order_by(Match.id))]
                    raise AssertionError(f"not settled in time: {every}\n" + "\n".join(logs))
                claim = httpx.post(f"{server.url}/api/jobs/claim", headers={"Authorization": f"Bearer {cheat}"})
                assert claim.status_code == 401  # its token is gone
                cheat_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "cheat"))
                ordinary = list(session.scalars(select(Match).where(Match.state == "done",
                                                                    Match.verifies_match_id.is_(None))))
                # every result that stands was reported by an honest worker, the forged ones played again
                assert cheat_id not in {m.lease_token_id for m in ordinary}
                assert {m.worker for m in ordinary if m.id in forged} <= {"honest-1", "honest-2"}
                # honest games reproduce on the other worker's machine: nothing honest is disputed
                assert session.scalar(select(func.count()).select_from(Match).where(
                    Match.check_state == "disputed", Match.id.not_in(forged))) == 0
                rated = session.scalar(select(func.count()).select_from(Game).where(Game.rated))
                assert session.scalar(select(func.sum(PairStats.games))) == rated
                assert session.scalar(select(func.sum(Rating.games))) == 2 * rated
                assert session.scalar(select(func.count()).select_from(RatingChange)) == 2 * rated
                assert session.scalar(select(func.count()).select_from(RatingChange).join(
                    Match, Match.id == RatingChange.match_id).where(Match.lease_token_id == cheat_id)) == 0
                entry = session.scalars(select(AuditEntry).where(AuditEntry.action.like("catch worker%"))).one()
                assert entry.token_id == cheat_id and "3 of its 3 checked results" in entry.detail
        finally:
            engine.dispose()
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.communicate(timeout=60)
                except subprocess.TimeoutExpired:
                    worker.kill()
