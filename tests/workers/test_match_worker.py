"""The match worker's loop against a scripted server: real games, scripted failures."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from league.core.schemas import JobAssignment
from league.workers.client import LeagueClient, RetryPolicy, UnexpectedAnswer
from league.workers.leases import heartbeat_interval
from league.workers.match_worker import MAX_RESULT_SERVER_ERRORS, MatchWorker
from league.workers.policies import PolicyLoader
from league.workers.weights_cache import WeightsCache
from tests.support.scripted_server import ScriptedServer, health_answer, match_answer, outcome_answer

HEALTH = (200, health_answer())


def _job(job_id=1):
    basic = {"id": 1, "name": "basic_weak", "kind": "basic_weak", "sha256": None, "config": {}}
    strong = {"id": 2, "name": "basic_strong", "kind": "basic_strong", "sha256": None, "config": {}}
    return {"job_id": job_id, "lease_id": f"lease-{job_id}", "attempt": 1, "worker": "w",
            "lease_expires_at": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
            "snapshot_a": basic, "snapshot_b": strong,
            "games": [{"index": i, "seed": 7 + i, "one_starting": i % 2 == 0, "a_is_player_one": i < 1}
                      for i in range(2)]}


@pytest.fixture
def server():
    scripted = ScriptedServer()
    scripted.script["/api/health"] = [HEALTH]
    yield scripted
    scripted.close()


def _worker(server, tmp_path, messages):
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    loader = PolicyLoader(WeightsCache(tmp_path, client.opponent_weights))
    return MatchWorker(client, "w", loader, poll_interval=0.05, idle_exit=0.3, log=messages.append)


def _posted_results(server):
    return [json.loads(body) for method, path, _, body in server.requests if path.endswith("/result")]


def test_a_job_is_played_and_reported_with_its_lease(server, tmp_path):
    server.script["/api/jobs/claim"] = [(200, {"job": _job()}), (200, {"job": None})]
    server.script["/api/jobs/1/result"] = [(200, outcome_answer(1))]
    messages: list[str] = []
    stats = _worker(server, tmp_path, messages).run()
    assert (stats.jobs, stats.games, stats.abandoned) == (1, 2, 0)
    [posted] = _posted_results(server)
    assert posted["lease_id"] == "lease-1" and "worker" not in posted  # the server knows the worker by its token
    assert [g["index"] for g in posted["games"]] == [0, 1]
    assert all(g["record"]["seed"] == 7 + g["index"] for g in posted["games"])
    assert any(m.startswith("job 1 reported: basic_weak vs basic_strong: 2 games") for m in messages)


def test_claims_wait_out_a_server_outage(server, tmp_path):
    server.script["/api/jobs/claim"] = [(503, {"detail": "restarting"}), (200, {"job": _job()}), (200, {"job": None})]
    server.script["/api/jobs/1/result"] = [(503, {"detail": "restarting"}), (200, outcome_answer(1))]
    messages: list[str] = []
    stats = _worker(server, tmp_path, messages).run()
    assert stats.jobs == 1
    assert len(_posted_results(server)) == 2  # the result was posted again after the outage
    assert any("server unavailable" in m for m in messages)
    assert any("server back after" in m for m in messages)


def test_a_rejected_result_gives_the_job_up_and_the_worker_goes_on(server, tmp_path):
    server.script["/api/jobs/claim"] = [(200, {"job": _job(1)}), (200, {"job": _job(2)}), (200, {"job": None})]
    server.script["/api/jobs/1/result"] = [(422, {"detail": "record of game 0 is malformed"})]
    server.script["/api/jobs/2/result"] = [(200, outcome_answer(2))]
    messages: list[str] = []
    stats = _worker(server, tmp_path, messages).run()
    assert (stats.jobs, stats.abandoned) == (1, 1)
    assert any("job 1: result rejected as invalid" in m and "malformed" in m for m in messages)


def test_a_result_for_a_lost_lease_is_dropped(server, tmp_path):
    server.script["/api/jobs/claim"] = [(200, {"job": _job()}), (200, {"job": None})]
    server.script["/api/jobs/1/result"] = [(409, {"detail": "job 1 is leased to another worker"})]
    messages: list[str] = []
    stats = _worker(server, tmp_path, messages).run()
    assert (stats.jobs, stats.lost_leases) == (0, 1)
    assert any("result refused" in m for m in messages)


def test_a_stop_request_finishes_the_current_job_first(server, tmp_path):
    messages: list[str] = []
    worker = _worker(server, tmp_path, messages)
    server.script["/api/jobs/claim"] = [(200, {"job": _job()})]  # always a job
    server.script["/api/jobs/1/result"] = [(200, outcome_answer(1))]
    original_play = worker.loader.play_job

    def play_and_ask_to_stop(job, **kwargs):
        worker.stop_requested.set()  # as the SIGTERM handler does, mid-job
        return original_play(job, **kwargs)

    worker.loader.play_job = play_and_ask_to_stop
    stats = worker.run()
    assert stats.jobs == 1 and len(_posted_results(server)) == 1


def _releases(server):
    return [(path, json.loads(body)) for method, path, _, body in server.requests if path.endswith("/release")]


def test_a_rejected_result_releases_the_job_at_once(server, tmp_path):
    server.script["/api/jobs/claim"] = [(200, {"job": _job(1)}), (200, {"job": None})]
    server.script["/api/jobs/1/result"] = [(422, {"detail": "record of game 0 is malformed"})]
    server.script["/api/jobs/1/release"] = [(200, match_answer(1, state="queued", worker=None))]
    messages: list[str] = []
    stats = _worker(server, tmp_path, messages).run()
    assert stats.abandoned == 1
    assert _releases(server) == [("/api/jobs/1/release", {"lease_id": "lease-1"})]
    assert any("job 1: released back to the queue" in m for m in messages)


def test_a_failed_weights_download_releases_the_job(server, tmp_path):
    job = _job(3)
    job["snapshot_a"] = {"id": 9, "name": "run@1", "kind": "dreamer", "sha256": "ab" * 32, "config": {}}
    server.script["/api/jobs/claim"] = [(200, {"job": job}), (200, {"job": None})]
    server.script["/api/opponents/9/weights"] = [(404, {"detail": "no snapshot with id 9"})]
    server.script["/api/jobs/3/release"] = [(409, {"detail": "job 3 is not leased to worker 'w'"})]
    messages: list[str] = []
    stats = _worker(server, tmp_path, messages).run()
    assert stats.abandoned == 1 and not _posted_results(server)
    assert _releases(server) == [("/api/jobs/3/release", {"lease_id": "lease-3"})]
    assert any("release failed" in m and "lease will expire" in m for m in messages)


def test_a_second_stop_signal_abandons_the_job_and_releases_it(server, tmp_path):
    import signal
    import threading

    job = _job(4)
    job["snapshot_a"] = {"id": 9, "name": "run@1", "kind": "dreamer", "sha256": "ab" * 32, "config": {}}
    server.script["/api/opponents/9/weights"] = [(503, {"detail": "busy"})]
    server.script["/api/jobs/4/release"] = [(200, match_answer(4, state="queued", worker=None))]
    server.delay = 1.0  # the weights download is under way when the signal comes

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupt)
    timer = threading.Timer(0.3, signal.raise_signal, args=(signal.SIGINT,))
    messages: list[str] = []
    worker = _worker(server, tmp_path, messages)
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            worker.play(JobAssignment.model_validate(job))
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert worker.stats.abandoned == 1
    assert _releases(server) == [("/api/jobs/4/release", {"lease_id": "lease-4"})]


def test_a_claim_answer_of_another_shape_stops_the_worker_with_a_clear_error(server, tmp_path):
    server.script["/api/jobs/claim"] = [(200, _job())]  # the bare job: not what a league server sends
    with pytest.raises(UnexpectedAnswer, match=r"POST /api/jobs/claim: .*job: Field required"):
        _worker(server, tmp_path, []).run()


def test_heartbeats_come_three_times_per_lease_within_bounds():
    job = JobAssignment.model_validate(_job())
    now = job.lease_expires_at - timedelta(seconds=30)
    assert heartbeat_interval(job, now=now) == pytest.approx(10.0)
    assert heartbeat_interval(job, now=now - timedelta(hours=1)) == 60.0
    assert heartbeat_interval(job, now=job.lease_expires_at) == 0.2
    naive = job.model_copy(update={"lease_expires_at": job.lease_expires_at.replace(tzinfo=None)})
    assert heartbeat_interval(naive, now=now) == pytest.approx(10.0)  # a naive time is UTC


def test_a_result_answered_500_again_and_again_is_given_up_and_the_next_job_played(server, tmp_path):
    server.script["/api/jobs/claim"] = [(200, {"job": _job(1)}), (200, {"job": _job(2)}), (200, {"job": None})]
    server.script["/api/jobs/1/result"] = [(500, {"detail": "internal server error"})]
    server.script["/api/jobs/1/release"] = [(200, match_answer(1, state="queued", worker=None))]
    server.script["/api/jobs/2/result"] = [(200, outcome_answer(2))]
    messages: list[str] = []
    stats = _worker(server, tmp_path, messages).run()
    assert (stats.jobs, stats.abandoned) == (1, 1)
    assert len(_posted_results(server)) == MAX_RESULT_SERVER_ERRORS + 1  # job 1 that many times, then job 2
    assert _releases(server) == [("/api/jobs/1/release", {"lease_id": "lease-1"})]
    assert any("job 1: the server keeps failing on this result" in m for m in messages)


def test_a_weights_download_answered_500_releases_the_job_at_once(server, tmp_path):
    job = _job(3)
    job["snapshot_a"] = {"id": 9, "name": "Ωmega@1", "kind": "dreamer", "sha256": "ab" * 32, "config": {}}
    server.script["/api/jobs/claim"] = [(200, {"job": job}), (200, {"job": None})]
    server.script["/api/opponents/9/weights"] = [(500, {"detail": "internal server error"})]
    server.script["/api/jobs/3/release"] = [(200, match_answer(3, state="queued", worker=None))]
    messages: list[str] = []
    started = time.monotonic()
    stats = _worker(server, tmp_path, messages).run()
    downloads = [path for method, path, _, body in server.requests if path.endswith("/weights")]
    assert stats.abandoned == 1 and len(downloads) == 1  # not retried as if the server were away
    assert time.monotonic() - started < 3.0
    assert _releases(server) == [("/api/jobs/3/release", {"lease_id": "lease-3"})]
    assert not any("server unavailable" in m for m in messages)
