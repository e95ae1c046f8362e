"""Jobs on real databases: ratings as trueskill computes them, leases, duplicates, bad input, concurrency."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
import trueskill
from sqlalchemy import func, select

from league.core import rating
from league.core.errors import Conflict, InvalidInput, NotFound
from league.core.jobs import claim_job, heartbeat, job_counts, report_result, requeue_expired, workers_seen
from league.core.leaderboard import head_to_head, leaderboard, pair_record, rating_history
from league.core.matches import get_match, list_matches
from league.core.matchmaking import create_match, fill_queue
from league.core.models import PairStats, Rating, RatingChange, utcnow
from league.core.settings import Settings
from tests.support.league_helpers import add_dreamer, dump_database, result_for

QUIET = Settings(queue_target=0, games_per_match=4, lease_seconds=60, max_attempts=3)


def test_ratings_equal_trueskill_library(session):
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    outcomes = [[1, 1, 0, -1], [0, 0, 1, -1], [-1, -1, -1, 0]]
    ra = rb = trueskill.Rating(mu=25, sigma=25 / 3)
    games = draws = 0
    for match_outcomes in outcomes:
        create_match(session, a.id, b.id, n_games=4)
        job = claim_job(session, "w1", settings=QUIET)
        assert job is not None and job.snapshot_a.id == a.id
        report_result(session, job.job_id, "w1", result_for(job, match_outcomes))
        for outcome in match_outcomes:
            # each game is rated with its pair's draw share so far (rating.pair_draw_probability), in percent
            draw = (draws + 8 * rating.DRAW_PROBABILITY) / (games + 8)
            env = trueskill.TrueSkill(mu=25, sigma=25 / 3, beta=25 / 6, tau=25 / 3000,
                                      draw_probability=round(100 * min(max(draw, 0.05), 0.95)) / 100)
            games, draws = games + 1, draws + (outcome == 0)
            if outcome == 1:
                ra, rb = trueskill.rate_1vs1(ra, rb, env=env)
            elif outcome == -1:
                rb, ra = trueskill.rate_1vs1(rb, ra, env=env)
            else:
                ra, rb = trueskill.rate_1vs1(ra, rb, drawn=True, env=env)
    board = {row.snapshot_id: row for row in leaderboard(session)}
    assert board[a.id].mu == pytest.approx(ra.mu, abs=1e-9)
    assert board[a.id].sigma == pytest.approx(ra.sigma, abs=1e-9)
    assert board[b.id].mu == pytest.approx(rb.mu, abs=1e-9)
    assert board[b.id].sigma == pytest.approx(rb.sigma, abs=1e-9)
    assert (board[a.id].wins, board[a.id].draws, board[a.id].losses) == (3, 4, 5)
    assert board[a.id].score == pytest.approx(ra.mu - 3 * ra.sigma)
    history = rating_history(session, a.id)
    assert len(history) == 12 and history[-1].mu_after == pytest.approx(ra.mu)
    assert pair_record(session, b.id, a.id).a_wins == 5
    assert [h.games for h in head_to_head(session)] == [12]


def test_games_alternate_sides_and_starts(session):
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=4)
    job = claim_job(session, "w", settings=QUIET)
    assert [g.a_is_player_one for g in job.games] == [True, False, True, False]
    assert [g.one_starting for g in job.games] == [True, True, False, False]
    assert job.games[0].seed == job.games[1].seed and job.games[2].seed == job.games[3].seed


def test_duplicate_report_counts_once(session):
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=4)
    job = claim_job(session, "w1", settings=QUIET)
    result = result_for(job, [1, 0, -1, 1])
    first = report_result(session, job.job_id, "w1", result)
    before = dump_database(session)
    again = report_result(session, job.job_id, "w1", result.model_dump())
    assert not first.duplicate and again.duplicate
    assert dump_database(session) == before
    with pytest.raises(Conflict, match="reported already"):
        report_result(session, job.job_id, "w1", result_for(job, [1, 1, 1, 1]))
    assert session.get(Rating, a.id).games == 4


def test_expired_lease_is_requeued_and_finished_once(session):
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=4)
    start = utcnow()
    job1 = claim_job(session, "slow", settings=QUIET, now=start)
    assert claim_job(session, "fast", settings=QUIET, now=start + timedelta(seconds=30)) is None
    heartbeat(session, job1.job_id, "slow", settings=QUIET, now=start + timedelta(seconds=30))
    assert requeue_expired(session, QUIET, now=start + timedelta(seconds=80)) == 0  # heartbeat extended it
    later = start + timedelta(seconds=91)
    job2 = claim_job(session, "fast", settings=QUIET, now=later)
    assert job2.job_id == job1.job_id and job2.attempt == 2 and job2.lease_id != job1.lease_id
    late = result_for(job1, [1, 1, 1, 1])
    with pytest.raises(Conflict, match="not leased to worker 'slow'"):
        report_result(session, job1.job_id, "slow", late)
    with pytest.raises(Conflict):
        heartbeat(session, job1.job_id, "slow", settings=QUIET, now=later)
    report_result(session, job2.job_id, "fast", result_for(job2, [-1, -1, 0, 0]), lease_id=job2.lease_id)
    with pytest.raises(Conflict):
        report_result(session, job1.job_id, "slow", late)
    assert session.get(Rating, a.id).games == 4 and session.get(Rating, a.id).losses == 2
    assert job_counts(session) == {"queued": 0, "leased": 0, "done": 1, "failed": 0}
    assert [w.name for w in workers_seen(session, within_seconds=120, now=later)] == ["fast", "slow"]


def test_lease_runs_out_max_attempts_then_fails(session):
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)
    now = utcnow()
    for attempt in range(QUIET.max_attempts):
        job = claim_job(session, f"w{attempt}", settings=QUIET, now=now)
        assert job.attempt == attempt + 1
        now += timedelta(seconds=61)
    assert requeue_expired(session, QUIET, now=now) == 1
    assert job_counts(session)["failed"] == 1
    assert claim_job(session, "w", settings=QUIET, now=now) is None


def test_bad_input_gives_clear_errors_and_changes_nothing(session):
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=4)
    job = claim_job(session, "w1", settings=QUIET)
    before = dump_database(session)
    with pytest.raises(NotFound, match="no snapshot with id 999"):
        create_match(session, a.id, 999)
    with pytest.raises(InvalidInput, match="cannot play itself"):
        create_match(session, a.id, a.id)
    with pytest.raises(InvalidInput, match="even number"):
        create_match(session, a.id, b.id, n_games=3)
    with pytest.raises(Conflict, match="not leased to worker 'intruder'"):
        report_result(session, job.job_id, "intruder", result_for(job, [1, 1, 1, 1]))
    with pytest.raises(NotFound, match="no match"):
        report_result(session, 12345, "w1", result_for(job, [1, 1, 1, 1]))
    short = result_for(job, [1, 1, 1, 1]).model_dump()
    short["games"] = short["games"][:2]
    with pytest.raises(InvalidInput, match="has 4 games, the result reports 2"):
        report_result(session, job.job_id, "w1", short)
    twice = result_for(job, [1, 1, 1, 1]).model_dump()
    twice["games"][1]["index"] = 0
    with pytest.raises(InvalidInput, match="indices"):
        report_result(session, job.job_id, "w1", twice)
    odd = result_for(job, [1, 1, 1, 1]).model_dump()
    odd["games"][0]["end_reason"] = "time_limit"
    with pytest.raises(InvalidInput, match="does not fit winner"):
        report_result(session, job.job_id, "w1", odd)
    with pytest.raises(InvalidInput, match="malformed"):
        report_result(session, job.job_id, "w1", {"games": [{"index": 0, "winner": 5}]})
    with pytest.raises(Conflict, match="lease"):
        report_result(session, job.job_id, "w1", result_for(job, [1, 1, 1, 1]), lease_id="stale")
    assert dump_database(session) == before


def test_forfeit_counts_as_a_loss(session):
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)
    job = claim_job(session, "w", settings=QUIET)
    games = [{"index": g.index, "winner": -1 if g.a_is_player_one else 1, "length": 0, "end_reason": "forfeit",
              "forfeit_side": 1 if g.a_is_player_one else 2, "error": "cannot load"} for g in job.games]
    report_result(session, job.job_id, "w", {"games": games})
    row = session.get(Rating, a.id)
    assert (row.losses, row.forfeits) == (2, 2) and session.get(Rating, b.id).wins == 2
    detail = get_match(session, job.job_id)
    assert [g.end_reason for g in detail.games] == ["forfeit", "forfeit"] and detail.a_score == 0
    assert "cannot load" in detail.model_dump_json() or detail.games[0].result_a == "loss"


def test_matchmaking_fills_queue_with_placement_first(session):
    new = add_dreamer(session, step=1)
    settings = Settings(queue_target=3, games_per_match=4, placement_games=8)
    ids = fill_queue(session, settings)
    assert len(ids) == 3
    page = list_matches(session, state="queued")
    assert page.total == 3
    first = [m for m in page.items if m.id == min(ids)][0]
    assert first.snapshot_a_name == new.name and first.snapshot_b_name in ("basic_weak", "basic_strong")
    assert first.reason == "placement"
    assert fill_queue(session, settings) == []


def test_eight_threads_report_160_results_without_loss(session_factory, session):
    snapshots = [add_dreamer(session, step=i) for i in range(4)]
    pool = [s.id for s in snapshots] + [row.snapshot_id for row in leaderboard(session) if row.kind != "dreamer"]
    pairs = list(itertools.combinations(pool, 2))
    for k in range(160):  # every result carries really played games: 320 of them, each replayed twice
        create_match(session, *pairs[k % len(pairs)], n_games=2)
    errors, reported = [], []

    def work(worker: str) -> None:
        with session_factory() as own:
            try:
                while (job := claim_job(own, worker, settings=Settings(queue_target=0))) is not None:
                    outcome = [1, 0] if job.job_id % 3 else [-1, -1]
                    result = result_for(job, outcome)
                    report_result(own, job.job_id, worker, result)
                    assert report_result(own, job.job_id, worker, result).duplicate
                    reported.append(job.job_id)
            except Exception as error:  # surfaced below
                errors.append(error)

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(reported) == len(set(reported)) == 160
    assert job_counts(session)["done"] == 160
    assert session.scalar(select(func.sum(Rating.games))) == 160 * 2 * 2
    assert session.scalar(select(func.sum(PairStats.games))) == 160 * 2
    for snapshot_id in pool:
        changes = list(session.scalars(select(RatingChange).where(RatingChange.snapshot_id == snapshot_id)
                                       .order_by(RatingChange.id)))
        row = session.get(Rating, snapshot_id)
        assert len(changes) == row.games == row.wins + row.draws + row.losses
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.mu_before == before.mu_after and after.sigma_before == before.sigma_after
        if changes:
            assert changes[-1].mu_after == row.mu
