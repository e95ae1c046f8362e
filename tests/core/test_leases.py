"""Leases that run out or are given back: late results, released jobs (real databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from league.core.errors import Conflict
from league.core.jobs import claim_job, job_counts, report_result, requeue_expired
from league.core.matches import get_match
from league.core.matchmaking import create_match
from league.core.models import Rating, utcnow
from league.core.settings import Settings
from tests.support.league_helpers import add_dreamer, dump_database, result_for

QUIET = Settings(queue_target=0, games_per_match=4, lease_seconds=60, max_attempts=3)


@pytest.fixture
def expired_job(session):
    """A job claimed by worker 'slow' whose lease ran out and was re-queued: (job, snapshot a, time)."""
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=4)
    start = utcnow()
    job = claim_job(session, "slow", settings=QUIET, now=start)
    assert requeue_expired(session, QUIET, now=start + timedelta(seconds=61)) == 1
    assert get_match(session, job.job_id).state == "queued"
    return job, a, start + timedelta(seconds=61)


def test_a_late_result_of_a_requeued_job_nobody_claimed_is_counted_once(session, expired_job):
    job, a, _ = expired_job
    result = result_for(job, [1, 0, 1, -1])
    outcome = report_result(session, job.job_id, "slow", result, lease_id=job.lease_id)
    assert not outcome.duplicate and outcome.match.state == "done" and outcome.match.worker == "slow"
    again = report_result(session, job.job_id, "slow", result, lease_id=job.lease_id)
    assert again.duplicate
    rating = session.get(Rating, a.id)
    assert (rating.games, rating.wins, rating.draws, rating.losses) == (4, 2, 1, 1)
    assert job_counts(session) == {"queued": 0, "leased": 0, "done": 1, "failed": 0}
    assert claim_job(session, "fast", settings=QUIET) is None


def test_a_late_result_needs_its_lease_id_and_its_worker(session, expired_job):
    job, _, _ = expired_job
    before = dump_database(session)
    result = result_for(job, [1, 1, 1, 1])
    with pytest.raises(Conflict, match="not leased to worker 'slow' \\(it is queued\\)"):
        report_result(session, job.job_id, "slow", result)
    with pytest.raises(Conflict, match="not leased"):
        report_result(session, job.job_id, "slow", result, lease_id="0" * 32)
    with pytest.raises(Conflict, match="not leased to worker 'other'"):
        report_result(session, job.job_id, "other", result, lease_id=job.lease_id)
    assert dump_database(session) == before


def test_once_another_worker_holds_a_newer_lease_the_late_result_is_refused(session, expired_job):
    job, a, now = expired_job
    newer = claim_job(session, "fast", settings=QUIET, now=now)
    assert newer.job_id == job.job_id and newer.lease_id != job.lease_id and newer.attempt == 2
    before = dump_database(session)
    with pytest.raises(Conflict, match="not leased to worker 'slow' \\(it is leased to 'fast'\\)"):
        report_result(session, job.job_id, "slow", result_for(job, [1, 1, 1, 1]), lease_id=job.lease_id)
    assert dump_database(session) == before
    report_result(session, job.job_id, "fast", result_for(newer, [-1, -1, -1, -1]), lease_id=newer.lease_id)
    assert session.get(Rating, a.id).losses == 4 and session.get(Rating, a.id).games == 4


def test_a_released_job_goes_back_to_the_queue_without_counting_the_attempt(session):
    from league.core.jobs import release_job

    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=4)
    for _ in range(QUIET.max_attempts + 2):  # more releases than attempts: the job never fails
        job = claim_job(session, "w1", settings=QUIET)
        summary = release_job(session, job.job_id, "w1", lease_id=job.lease_id)
        assert (summary.state, summary.worker, summary.attempts) == ("queued", None, 0)
    with pytest.raises(Conflict, match="not leased to worker 'w1' \\(it is queued\\)"):
        report_result(session, job.job_id, "w1", result_for(job, [1, 1, 1, 1]), lease_id=job.lease_id)
    again = claim_job(session, "w2", settings=QUIET)
    assert again.job_id == job.job_id and again.attempt == 1


def test_only_the_lease_holder_may_release_a_job(session):
    from league.core.errors import InvalidInput, NotFound
    from league.core.jobs import release_job

    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=4)
    job = claim_job(session, "w1", settings=QUIET)
    before = dump_database(session)
    with pytest.raises(Conflict, match="not leased to worker 'w2'"):
        release_job(session, job.job_id, "w2", lease_id=job.lease_id)
    with pytest.raises(Conflict, match="has ended"):
        release_job(session, job.job_id, "w1", lease_id="0" * 32)
    with pytest.raises(InvalidInput, match="needs the lease id"):
        release_job(session, job.job_id, "w1", lease_id="")
    with pytest.raises(NotFound):
        release_job(session, 999, "w1", lease_id=job.lease_id)
    assert dump_database(session) == before
