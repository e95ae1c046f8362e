"""Batched claims, results and heartbeats: each job as its single call would treat it, refusals alone."""

from __future__ import annotations

import pytest

from league.core.errors import InvalidInput
from league.core.job_batches import heartbeats, report_results
from league.core.jobs import claim_job, claim_jobs
from league.core.models import Match
from league.core.schemas import MAX_JOBS_PER_BATCH
from league.core.settings import Settings
from tests.support.league_helpers import add_dreamer, dump_database, result_for

SETTINGS = Settings(queue_target=2, games_per_match=4)


@pytest.fixture
def pool(session):
    for i in range(4):
        add_dreamer(session, agent=f"run-{i}")
    return session


def test_a_batched_claim_leases_up_to_count_jobs_in_queue_order(pool):
    jobs = claim_jobs(pool, "w", 6, settings=SETTINGS)
    assert len(jobs) == 6 and [j.job_id for j in jobs] == sorted(j.job_id for j in jobs)
    assert len({j.lease_id for j in jobs}) == 6 and {j.worker for j in jobs} == {"w"}
    assert all(pool.get(Match, j.job_id).state == "leased" for j in jobs)
    single = claim_job(pool, "w", settings=SETTINGS)
    assert single is not None and single.job_id > max(j.job_id for j in jobs)


def test_no_matchmaking_means_an_empty_batch(pool):
    assert claim_jobs(pool, "w", 4, settings=Settings(queue_target=0)) == []


def test_a_result_batch_records_each_job_once_and_refuses_only_the_bad_ones(pool):
    mine = claim_jobs(pool, "w", 3, settings=SETTINGS)
    theirs = claim_job(pool, "other", settings=SETTINGS)
    items = [(mine[0].job_id, mine[0].lease_id, result_for(mine[0], [1, 0, -1, 1])),
             (theirs.job_id, theirs.lease_id, result_for(theirs, [1, 1, 1, 1])),  # a foreign lease
             (mine[1].job_id, mine[1].lease_id, {"games": [{"index": 0}]}),  # malformed
             (mine[2].job_id, "not-the-lease", result_for(mine[2], [0, 0, 0, 0])),  # a lease it does not hold
             (999_999, "x", result_for(mine[0], [0, 0, 0, 0]))]  # no such job
    outcomes = report_results(pool, "w", items, settings=SETTINGS)
    assert [(o.job_id, o.status) for o in outcomes] == [
        (mine[0].job_id, 200), (theirs.job_id, 409), (mine[1].job_id, 422), (mine[2].job_id, 409), (999_999, 404)]
    assert "not leased to worker 'w'" in outcomes[1].detail
    pool.expire_all()
    assert pool.get(Match, mine[0].job_id).state == "done"
    assert [pool.get(Match, j).state for j in (theirs.job_id, mine[1].job_id, mine[2].job_id)] == ["leased"] * 3
    again = report_results(pool, "w", items[:1], settings=SETTINGS)
    assert again[0].status == 200 and again[0].duplicate is True


@pytest.mark.parametrize("items, message", [
    ([], "at least one job"),
    ([(i + 1, "x", {"games": []}) for i in range(MAX_JOBS_PER_BATCH + 1)], f"at most {MAX_JOBS_PER_BATCH}"),
    ([(1, "x", {"games": []}), (2, "x", {"games": []}), (1, "y", {"games": []})], "named more than once: [1]"),
])
def test_a_malformed_batch_is_refused_whole_and_changes_nothing(pool, items, message):
    jobs = claim_jobs(pool, "w", 2, settings=SETTINGS)
    if items and len(items) == 3:  # real, held jobs named twice: still nothing is recorded
        items = [(jobs[0].job_id, jobs[0].lease_id, result_for(jobs[0], [1, 1, 1, 1])),
                 (jobs[1].job_id, jobs[1].lease_id, result_for(jobs[1], [1, 1, 1, 1])),
                 (jobs[0].job_id, jobs[0].lease_id, result_for(jobs[0], [1, 1, 1, 1]))]
        message = f"named more than once: [{jobs[0].job_id}]"
    before = dump_database(pool)
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        report_results(pool, "w", items, settings=SETTINGS)
    with pytest.raises(InvalidInput):
        heartbeats(pool, "w", [(job_id, lease) for job_id, lease, _ in items], settings=SETTINGS)
    assert dump_database(pool) == before


def test_batched_heartbeats_extend_held_leases_and_name_the_lost_ones(pool):
    mine = claim_jobs(pool, "w", 2, settings=SETTINGS)
    theirs = claim_job(pool, "other", settings=SETTINGS)
    outcomes = heartbeats(pool, "w", [(j.job_id, j.lease_id) for j in mine] + [(theirs.job_id, theirs.lease_id)],
                          settings=SETTINGS)
    assert [o.status for o in outcomes] == [200, 200, 409]
    assert all(o.lease_expires_at >= j.lease_expires_at for o, j in zip(outcomes, mine, strict=False))
