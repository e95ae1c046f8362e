"""Forged results: every record is replayed by the server, a share of matches is played again by other
workers, a worker whose games do not reproduce loses every result and the ratings are recomputed."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from agents.evaluation.scripted import PassivePolicy
from league.core.errors import InvalidInput, NotFound
from league.core.job_batches import report_results
from league.core.jobs import claim_job, report_result
from league.core.matches import get_game_record, get_match, list_matches
from league.core.matchmaking import create_match
from league.core.models import ApiToken, AuditEntry, Game, Match, PairStats, Rating, RatingChange
from league.core.revocation import recompute_ratings
from league.core.settings import Settings
from league.core.tokens import create_token
from league.core.users import create_user
from league.hockey.batch import play_games
from league.hockey.constants import Mode
from tests.support.league_helpers import add_dreamer, dump_database, result_for

NEVER = Settings(queue_target=0, check_share=0.0)
ALWAYS = Settings(queue_target=0, check_share=1.0)


def _tokens(session, count: int) -> list[int]:
    return [create_token(session, f"worker-{i}", "worker").token.id for i in range(count)]


def _claim(session, name: str, token_id: int, settings: Settings = ALWAYS):
    return claim_job(session, name, settings=settings, token_id=token_id)


def _report(session, job, name: str, token_id: int, outcomes: list[int], settings: Settings = ALWAYS):
    return report_result(session, job.job_id, name, result_for(job, outcomes), lease_id=job.lease_id,
                         settings=settings, token_id=token_id)


def _a_forfeits(job) -> dict:
    """A result in which snapshot a forfeits every game of `job` (it "cannot load")."""
    return {"games": [{"index": g.index, "winner": -1 if g.a_is_player_one else 1, "length": 0,
                       "end_reason": "forfeit", "forfeit_side": 1 if g.a_is_player_one else 2,
                       "error": "cannot load"} for g in job.games]}


def _history(session) -> list[tuple]:
    return [(c.snapshot_id, c.game_id, round(c.mu_after, 9)) for c in
            session.scalars(select(RatingChange).order_by(RatingChange.id))]


def _ratings(session) -> dict[int, tuple]:
    session.expire_all()
    return {r.snapshot_id: (round(r.mu, 9), round(r.sigma, 9), r.games, r.wins, r.draws, r.losses)
            for r in session.scalars(select(Rating))}


# -- the server's replay of every record -------------------------------------------------------------

def _planned_job(session):
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)
    return claim_job(session, "w", settings=NEVER)


def _refused(session, job, games, match: str) -> None:
    before = dump_database(session)
    with pytest.raises(InvalidInput, match=match):
        report_result(session, job.job_id, "w", {"games": games}, lease_id=job.lease_id, settings=NEVER)
    assert dump_database(session) == before


def test_a_record_that_does_not_replay_is_refused_and_changes_nothing(session):
    job = _planned_job(session)
    honest = result_for(job, [1, -1]).model_dump()["games"]

    goal_after_one_step = copy.deepcopy(honest)
    record = goal_after_one_step[0]["record"]
    record.update(length=1, actions=record["actions"][:1])
    record["frames"] = {k: v[:2] for k, v in record["frames"].items()}
    goal_after_one_step[0]["length"] = 1
    _refused(session, job, goal_after_one_step, "game 0 record: .*has not ended after the record's 1 actions")

    time_limit_after_three = copy.deepcopy(honest)
    record = time_limit_after_three[1]["record"]
    record.update(length=3, winner=0, end_reason="time_limit", actions=record["actions"][:3])
    record["frames"] = {k: v[:4] for k, v in record["frames"].items()}
    time_limit_after_three[1].update(length=3, winner=0, end_reason="time_limit")
    _refused(session, job, time_limit_after_three, "game 1 record: .*has not ended")

    too_long = copy.deepcopy(honest)
    too_long[0]["record"]["length"] = too_long[0]["length"] = 9999
    _refused(session, job, too_long, "game 0")

    made_up_frames = copy.deepcopy(honest)
    made_up_frames[0]["record"]["frames"]["puck"][5][0] += 0.5
    _refused(session, job, made_up_frames, r"does not replay: frames.puck\[5\]")

    no_record = copy.deepcopy(honest)
    del no_record[1]["record"]
    _refused(session, job, no_record, "game 1: every played game carries its record")


def test_a_drill_record_is_refused_in_a_normal_match(session):
    job = _planned_job(session)
    games = result_for(job, [1, -1]).model_dump()["games"]
    planned = job.games[0]
    (drill,) = play_games(PassivePolicy(), PassivePolicy(), [planned.seed], [planned.one_starting],
                          mode=Mode.TRAIN_SHOOTING, record=True)
    games[0] = {"index": 0, "winner": drill.winner, "length": drill.length, "end_reason": drill.end_reason,
                "record": drill.record}
    _refused(session, job, games, "game 0 record: mode is 1, expected 0")


def test_a_forfeit_needs_no_record_and_a_record_of_another_seed_is_refused(session):
    job = _planned_job(session)
    other = _planned_job(session)
    games = result_for(job, [1, -1]).model_dump()["games"]
    games[1]["record"] = result_for(other, [1, -1]).model_dump()["games"][1]["record"]
    _refused(session, job, games, "game 1 record: (seed|winner|length|one_starting)")


# -- checks by other workers --------------------------------------------------------------------------

def test_a_check_goes_to_another_worker_and_a_match_both_agree_on_is_confirmed(session):
    one, two = _tokens(session, 2)
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)
    job = _claim(session, "one", one)
    _report(session, job, "one", one, [1, 0])
    original = session.get(Match, job.job_id)
    assert original.check_state == "pending"
    assert _claim(session, "one", one) is None  # its own result is never checked by itself
    check = _claim(session, "two", two)
    assert check is not None and session.get(Match, check.job_id).verifies_match_id == job.job_id
    assert [(g.seed, g.one_starting, g.a_is_player_one) for g in check.games] == \
        [(g.seed, g.one_starting, g.a_is_player_one) for g in job.games]
    before = _ratings(session)
    _report(session, check, "two", two, [1, 0])
    session.expire_all()
    assert session.get(Match, job.job_id).check_state == "confirmed"
    assert _ratings(session) == before  # a check is never rated
    assert [m.id for m in list_matches(session).items] == [job.job_id]  # nor listed
    assert [m.id for m in list_matches(session, reason="check").items] == [check.job_id]  # unless asked for


def test_a_worker_outvoted_again_and_again_loses_every_result_and_the_ratings_are_recomputed(session):
    cheat, two, three = _tokens(session, 3)
    a, b, c = (add_dreamer(session, step=i) for i in range(3))
    create_match(session, a.id, b.id, n_games=2)
    create_match(session, b.id, c.id, n_games=2)
    unchecked = _claim(session, "cheat", cheat, NEVER)
    _report(session, unchecked, "cheat", cheat, [-1, -1], NEVER)  # forged, and not checked (share 0)
    honest = _claim(session, "two", two, NEVER)
    _report(session, honest, "two", two, [0, 1], NEVER)
    create_match(session, a.id, c.id, n_games=2)
    for round_ in range(3):
        forged = _claim(session, "cheat", cheat)  # the new match, then the same one played again
        _report(session, forged, "cheat", cheat, [-1, -1])
        check = _claim(session, "two", two)
        assert session.get(Match, check.job_id).verifies_match_id == forged.job_id
        _report(session, check, "two", two, [1, 1])  # the honest games differ: a deciding check
        assert session.get(Match, forged.job_id).check_state == "disputed"
        assert _claim(session, "two", two) is None  # the first checker cannot decide
        decider = _claim(session, "three", three)
        assert session.get(Match, decider.job_id).verifies_match_id == forged.job_id
        _report(session, decider, "three", three, [1, 1])
        session.expire_all()
        token = session.get(ApiToken, cheat)
        assert session.get(Match, forged.job_id).state == "queued"  # outvoted: played again
        assert (token.results_checked, token.results_outvoted) == (round_ + 1, round_ + 1)
        assert (token.revoked_at is None) == (round_ < 2)  # caught at the third outvoted result

    assert session.get(Match, unchecked.job_id).state == "queued"  # every result of it is played again
    assert session.scalar(select(func.count()).select_from(Game).where(
        Game.match_id.in_((unchecked.job_id, forged.job_id)), Game.winner.is_not(None))) == 0
    assert session.scalar(select(func.count()).select_from(Match).where(Match.verifies_match_id.is_not(None))) == 0
    assert session.get(Match, honest.job_id).state == "done"
    assert (session.get(ApiToken, two).results_checked, session.get(ApiToken, two).results_outvoted) == (0, 0)
    # the ratings are those of the honest match alone
    assert session.scalar(select(func.sum(Rating.games))) == 4
    assert session.scalar(select(func.count()).select_from(RatingChange)) == 4
    assert session.scalar(select(func.sum(PairStats.games))) == 2
    entry = session.scalars(select(AuditEntry).where(AuditEntry.token_id == cheat)).one()
    assert "catch worker" in entry.action and "results of it played again: 1" in entry.detail
    # the re-opened matches are played again by honest workers, and rated then
    for _ in range(2):
        _report(session, _claim(session, "two", two, NEVER), "two", two, [1, 1], NEVER)
    assert session.scalar(select(func.sum(Rating.games))) == 12


def test_a_check_that_two_others_outvote_is_counted_against_its_worker_and_the_match_stands(session):
    one, liar, three = _tokens(session, 3)
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)
    job = _claim(session, "one", one)
    _report(session, job, "one", one, [1, 0])
    before = _ratings(session)
    check = _claim(session, "liar", liar)
    _report(session, check, "liar", liar, [-1, 0])
    decider = _claim(session, "three", three)
    _report(session, decider, "three", three, [1, 0])
    session.expire_all()
    assert (session.get(ApiToken, liar).results_checked, session.get(ApiToken, liar).results_outvoted) == (1, 1)
    assert session.get(ApiToken, liar).revoked_at is None  # once may be a neural policy's rounding
    assert (session.get(ApiToken, one).results_checked, session.get(ApiToken, one).results_outvoted) == (1, 0)
    match = session.get(Match, job.job_id)
    assert (match.state, match.check_state) == ("done", "confirmed")
    assert _ratings(session) == before


def test_a_check_no_worker_may_play_is_dropped_and_stops_no_queue(session):
    one, two = _tokens(session, 2)
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)
    create_match(session, a.id, b.id, n_games=2)
    disputed, unchecked = _claim(session, "one", one), _claim(session, "one", one)
    _report(session, disputed, "one", one, [1, 0])
    _report(session, unchecked, "one", one, [1, 1])
    first = _claim(session, "two", two)
    assert session.get(Match, first.job_id).verifies_match_id == disputed.job_id
    _report(session, first, "two", two, [0, 0])  # a dispute only a third worker could decide
    quiet_with_queue = ALWAYS.model_copy(update={"queue_target": 1})
    fresh = _claim(session, "one", one, quiet_with_queue)  # matchmaking does not wait for the checks
    assert fresh is not None and session.get(Match, fresh.job_id).verifies_match_id is None
    later = ALWAYS.model_copy(update={"check_wait_s": 0.001})
    again = _claim(session, "one", one, later)  # both open checks are dropped ...
    assert again is not None and again.job_id == disputed.job_id  # ... and the undecided result is played again
    session.expire_all()
    assert session.get(Match, unchecked.job_id).check_state == "unchecked"  # stands, as reported
    assert session.scalar(select(func.count()).select_from(Match).where(Match.verifies_match_id.is_not(None))) == 0
    assert session.scalar(select(func.sum(Rating.games))) == 4  # the unchecked result's games alone


def test_a_check_goes_to_another_user_not_to_another_token_of_the_same_user(session):
    create_user(session, "mallory")
    mine = [create_token(session, f"mallory-{i}", "worker", "mallory").token.id for i in range(2)]
    (other,) = _tokens(session, 1)
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)
    job = _claim(session, "mallory-0", mine[0])
    _report(session, job, "mallory-0", mine[0], [1, 0])
    assert _claim(session, "mallory-1", mine[1]) is None  # her second machine may not check her result
    check = _claim(session, "other", other)
    assert session.get(Match, check.job_id).verifies_match_id == job.job_id


def test_a_result_under_check_shows_no_lengths_or_records_until_it_is_confirmed(session):
    one, two = _tokens(session, 2)
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)
    job = _claim(session, "one", one)
    _report(session, job, "one", one, [1, 0])
    detail = get_match(session, job.job_id)
    assert [g.length for g in detail.games] == [None, None] and not any(g.has_record for g in detail.games)
    with pytest.raises(NotFound, match="once other workers have checked"):
        get_game_record(session, detail.games[0].id)
    check = _claim(session, "two", two)
    assert all(g.length is None for g in get_match(session, check.job_id).games)
    _report(session, check, "two", two, [1, 0])
    session.expire_all()
    detail = get_match(session, job.job_id)
    assert all(g.length and g.has_record for g in detail.games)
    assert get_game_record(session, detail.games[0].id)["seed"] == job.games[0].seed
    assert all(g.length is None for g in get_match(session, check.job_id).games)  # a check's, never


def test_a_forfeit_in_a_dispute_blames_nobody(session):
    played, flaky_one, flaky_two = _tokens(session, 3)
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)

    for _ in range(3):  # two machines that cannot load a snapshot outvote the one that played it, thrice
        job = _claim(session, "played", played)
        _report(session, job, "played", played, [1, 0])
        for name, token in (("flaky-1", flaky_one), ("flaky-2", flaky_two)):
            check = _claim(session, name, token)
            report_result(session, check.job_id, name, _a_forfeits(check), lease_id=check.lease_id,
                          settings=ALWAYS, token_id=token)
        session.expire_all()
        assert session.get(Match, job.job_id).state == "queued"  # played again, nobody blamed
    tokens = [session.get(ApiToken, t) for t in (played, flaky_one, flaky_two)]
    assert [(t.revoked_at, t.results_outvoted) for t in tokens] == [(None, 0)] * 3


def test_a_forfeit_is_rated_only_once_another_worker_confirms_it(session):
    one, two = _tokens(session, 2)
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)

    job = _claim(session, "one", one, NEVER)
    report_result(session, job.job_id, "one", _a_forfeits(job), lease_id=job.lease_id, settings=NEVER, token_id=one)
    assert session.get(Rating, a.id).games == 0  # held back, although the share of checks is 0
    check = _claim(session, "two", two, NEVER)
    assert check is not None and session.get(Match, check.job_id).verifies_match_id == job.job_id
    report_result(session, check.job_id, "two", _a_forfeits(check), lease_id=check.lease_id, settings=NEVER,
                  token_id=two)
    session.expire_all()
    row = session.get(Rating, a.id)
    assert (row.games, row.losses, row.forfeits) == (2, 2, 2)


def test_a_forfeit_the_others_play_out_is_played_again_without_blame(session):
    one, two, three = _tokens(session, 3)
    a, b = add_dreamer(session, step=1), add_dreamer(session, step=2)
    create_match(session, a.id, b.id, n_games=2)
    job = _claim(session, "one", one, NEVER)
    report_result(session, job.job_id, "one", _a_forfeits(job), lease_id=job.lease_id, settings=NEVER, token_id=one)
    _report(session, _claim(session, "two", two, NEVER), "two", two, [1, 0], NEVER)
    _report(session, _claim(session, "three", three, NEVER), "three", three, [1, 0], NEVER)
    session.expire_all()
    assert session.get(ApiToken, one).revoked_at is None
    assert session.get(Match, job.job_id).state == "queued"
    assert session.scalar(select(func.sum(Rating.games))) == 0


def test_recomputed_ratings_equal_the_ratings_as_reported(session):
    token, other = _tokens(session, 2)
    snapshots = [add_dreamer(session, step=i) for i in range(3)]
    create_match(session, snapshots[0].id, snapshots[2].id, n_games=2)
    waiting = _claim(session, "w", token, NEVER)  # its forfeits are rated only after the games below
    forfeits = _a_forfeits(waiting)
    report_result(session, waiting.job_id, "w", forfeits, lease_id=waiting.lease_id, settings=NEVER, token_id=token)
    outcomes = [[1, 0], [-1, -1], [0, 0], [1, 1], [1, -1]]
    for k, outcome in enumerate(outcomes):
        create_match(session, snapshots[k % 3].id, snapshots[(k + 1) % 3].id, n_games=2)
        _report(session, _claim(session, "w", token, NEVER), "w", token, outcome, NEVER)
    check = _claim(session, "other", other, NEVER)
    report_result(session, check.job_id, "other", {"games": [dict(g) for g in forfeits["games"]]},
                  lease_id=check.lease_id, settings=NEVER, token_id=other)
    before = _ratings(session)
    history = _history(session)
    assert recompute_ratings(session) == 12
    session.commit()
    assert _ratings(session) == before
    assert _history(session) == history


def test_ratings_recomputed_from_a_re_opened_match_on_equal_a_full_recomputation(session):
    token, two, three = _tokens(session, 3)
    snapshots = [add_dreamer(session, step=i) for i in range(4)]
    outcomes = [[1, 0], [-1, -1], [0, 0], [1, 1], [1, -1], [0, 1], [-1, 0], [1, 1]]
    jobs = []
    for k, outcome in enumerate(outcomes):
        create_match(session, snapshots[k % 4].id, snapshots[(k + 1) % 4].id, n_games=2)
        settings = ALWAYS if k == 3 else NEVER  # the fourth result gets a check
        jobs.append(_claim(session, "w", token, settings))
        _report(session, jobs[-1], "w", token, outcome, settings)
    _report(session, _claim(session, "two", two), "two", two, [-1, -1])  # disputed
    _report(session, _claim(session, "three", three), "three", three, [-1, -1])  # outvoted: re-opened
    session.expire_all()
    assert session.get(Match, jobs[3].job_id).state == "queued"
    incremental = _ratings(session)
    history = _history(session)
    assert len(history) == 2 * 2 * 7  # seven matches of two games stay rated
    recompute_ratings(session)
    session.commit()
    assert _ratings(session) == incremental
    assert _history(session) == history


def test_a_catch_inside_a_batch_of_results_keeps_the_other_results_of_the_batch(session):
    cheat, two, three = _tokens(session, 3)
    a, b, c = (add_dreamer(session, step=i) for i in range(3))
    create_match(session, a.id, b.id, n_games=2)
    for _ in range(3):  # outvoted twice, then the third deciding check comes in a batch
        forged = _claim(session, "cheat", cheat)
        _report(session, forged, "cheat", cheat, [-1, -1])
        _report(session, _claim(session, "two", two), "two", two, [1, 1])
        if session.get(ApiToken, cheat).results_outvoted < 2:
            _report(session, _claim(session, "three", three), "three", three, [1, 1])
    decider = _claim(session, "three", three)
    create_match(session, b.id, c.id, n_games=2)
    honest = _claim(session, "three", three, NEVER)
    outcomes = report_results(session, "three", [
        (decider.job_id, decider.lease_id, result_for(decider, [1, 1])),
        (honest.job_id, honest.lease_id, result_for(honest, [0, 1]))], settings=ALWAYS, token_id=three)
    assert [o.status for o in outcomes] == [200, 200]
    session.expire_all()
    assert session.get(ApiToken, cheat).revoked_at is not None
    assert session.get(Match, forged.job_id).state == "queued"
    assert session.get(Match, decider.job_id) is None  # the decider's check went with the re-opened match
    assert session.get(Match, honest.job_id).state == "done"
    assert session.scalar(select(func.sum(PairStats.games))) == 2  # the honest match's games alone
    assert session.scalar(select(func.count()).select_from(RatingChange)) == 4
