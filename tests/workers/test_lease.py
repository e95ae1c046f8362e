"""Leases against a real server: heartbeats keep a long job leased; without them it is re-queued."""

from __future__ import annotations

import time

import pytest

from league.workers.client import Conflict, LeagueClient
from league.workers.leases import LeaseKeeper, heartbeat_interval
from tests.support.live_server import running_server
from tests.support.played_games import played_report

ADMIN = "lease-test-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"


@pytest.fixture
def server(tmp_path):
    env = {"LEAGUE_LEASE_SECONDS": "2", "LEAGUE_QUEUE_TARGET": "4"}
    with running_server(tmp_path / "league", ADMIN, extra_env=env) as live:
        yield live


def _result(job):
    return {"lease_id": job.lease_id,
            "games": [played_report(g.index, g.seed, g.one_starting, 0) for g in job.games]}


def test_heartbeats_keep_a_job_leased_past_its_lease_time(server):
    with LeagueClient(server.url, ADMIN) as client:
        job = client.claim_job()
        assert heartbeat_interval(job) == pytest.approx(2 / 3, abs=0.3)
        keeper = LeaseKeeper(client, job.job_id, job.lease_id, interval=0.4)
        keeper.start()
        try:
            deadline = time.monotonic() + 5  # 2.5 lease times
            while time.monotonic() < deadline:
                other = client.claim_job()  # claiming re-queues expired leases first
                assert other is None or other.job_id != job.job_id
                if other is not None:
                    client.report_result(other.job_id, _result(other))
                time.sleep(0.3)
        finally:
            keeper.stop()
        assert keeper.lost is None
        outcome = client.report_result(job.job_id, _result(job))
        assert outcome.duplicate is False and outcome.match.state == "done"


def test_without_heartbeats_the_job_goes_to_another_worker_and_the_late_result_is_refused(server):
    with LeagueClient(server.url, ADMIN) as client:
        job = client.claim_job()
        time.sleep(2.5)
        taken = None
        for _ in range(50):
            candidate = client.claim_job()
            if candidate is not None and candidate.job_id == job.job_id:
                taken = candidate
                break
            if candidate is not None:
                client.report_result(candidate.job_id, _result(candidate))
        assert taken is not None, "the expired job was never handed out again"
        keeper = LeaseKeeper(client, job.job_id, job.lease_id, interval=0.1)
        keeper.start()
        time.sleep(0.5)
        keeper.stop()
        assert keeper.lost and "409" in keeper.lost
        with pytest.raises(Conflict):
            client.report_result(job.job_id, _result(job))
        assert client.report_result(taken.job_id, _result(taken)).match.attempts == 2
