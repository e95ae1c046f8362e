"""A job no worker can finish goes to `failed` after `max_deliveries` claims and never blocks the queue;
a game record over `record_max_bytes` is refused before anything is stored."""

from __future__ import annotations

import json

import pytest

from league.core.errors import InvalidInput
from league.core.jobs import claim_job, job_counts, release_job, report_result
from league.core.matches import get_game_record, get_match
from league.core.matchmaking import create_match
from league.core.schemas import MatchResult
from league.core.settings import Settings
from league.hockey.batch import basic_opponent_policy, play_games
from tests.support.league_helpers import add_dreamer, dump_database, result_for

QUIET = Settings(queue_target=0, games_per_match=2, lease_seconds=60, max_attempts=3, max_deliveries=3)


def test_a_job_released_again_and_again_fails_after_max_deliveries(session):
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    stuck = create_match(session, a.id, b.id, n_games=2)
    for _ in range(QUIET.max_deliveries):
        job = claim_job(session, "w1", settings=QUIET)
        assert job.job_id == stuck.id and job.attempt == 1  # a release does not count the attempt...
        release_job(session, job.job_id, "w1", lease_id=job.lease_id)
    assert get_match(session, stuck.id).state == "queued"  # ...but every claim is a delivery
    assert claim_job(session, "w1", settings=QUIET) is None  # the next claim fails it instead of handing it out
    failed = get_match(session, stuck.id)
    assert failed.state == "failed" and failed.worker is None and failed.finished_at is not None
    assert job_counts(session)["failed"] == 1


def test_the_jobs_behind_a_failed_job_are_handed_out(session):
    a, b, c = add_dreamer(session, step=1), add_dreamer(session, step=2), add_dreamer(session, step=3)
    stuck = create_match(session, a.id, b.id, n_games=2)
    behind = create_match(session, a.id, c.id, n_games=2)
    for _ in range(QUIET.max_deliveries):
        job = claim_job(session, "w1", settings=QUIET)
        assert job.job_id == stuck.id  # oldest first: the released job comes back at once...
        release_job(session, job.job_id, "w1", lease_id=job.lease_id)
    nxt = claim_job(session, "w1", settings=QUIET)  # ...until it has had its claims
    assert nxt.job_id == behind.id and get_match(session, stuck.id).state == "failed"
    report_result(session, nxt.job_id, "w1", result_for(nxt, [1, -1]), lease_id=nxt.lease_id)
    assert get_match(session, behind.id).state == "done"


def _played_result(job) -> tuple[MatchResult, list[dict]]:
    games, records = [], []
    for plan in job.games:
        one, two = basic_opponent_policy(False, seed=plan.seed), basic_opponent_policy(True, seed=plan.seed + 1)
        (played,) = play_games(one, two, [plan.seed], [plan.one_starting], record=True)
        winner = played.winner
        games.append({"index": plan.index, "winner": winner, "length": played.length,
                      "end_reason": played.end_reason, "record": played.record})
        records.append(json.loads(json.dumps(played.record)))
    return MatchResult.model_validate({"games": games}), records


@pytest.mark.parametrize("slack, accepted", [(0, True), (-1, False)])
def test_a_record_at_the_size_limit_is_stored_and_one_byte_over_is_refused(session, slack, accepted):
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)
    job = claim_job(session, "w1", settings=QUIET)
    result, records = _played_result(job)
    largest = max(len(json.dumps(r, separators=(",", ":"))) for r in records)
    limit = Settings(**{**QUIET.model_dump(), "record_max_bytes": largest + slack})
    if accepted:
        report_result(session, job.job_id, "w1", result, lease_id=job.lease_id, settings=limit)
        detail = get_match(session, job.job_id)
        assert detail.state == "done"
        assert get_game_record(session, detail.games[0].id) == records[0]
        return
    before = dump_database(session)
    with pytest.raises(InvalidInput, match=f"more than the limit of {largest - 1} .*LEAGUE_RECORD_MAX_BYTES"):
        report_result(session, job.job_id, "w1", result, lease_id=job.lease_id, settings=limit)
    assert dump_database(session) == before
