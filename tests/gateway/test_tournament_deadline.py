"""A tournament with remote participants: they play while online; past the tournament's deadline an
offline one forfeits its games still to play, rated, and the tournament finishes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from league.core.errors import InvalidInput
from league.core.jobs import claim_jobs
from league.core.models import Game, Match, Rating, utcnow
from league.core.remote import claim_remote_jobs, connect_remote, set_presence
from league.core.settings import Settings
from league.core.snapshots import get_snapshot_by_name
from league.core.tournaments import create_tournament, get_summary
from league.core.users import Actor, create_user

NO_MATCHMAKING = Settings(queue_target=0)


@pytest.fixture
def remotes(session):
    create_user(session, "alice")
    create_user(session, "bob")
    alice = connect_remote(session, agent="alice-bot", version="v1", by=Actor("alice", False)).snapshot
    bob = connect_remote(session, agent="bob-bot", version="v1", by=Actor("bob", False)).snapshot
    return alice, bob


def _tournament(session, ids, *, deadline_s=60, rated=True):
    return create_tournament(session, name="finals", participants=ids, games_per_pair=4, seed=7,
                             rated=rated, remote_deadline_s=deadline_s)


def _matches_of(session, tournament_id):
    session.expire_all()
    return list(session.scalars(select(Match).where(Match.tournament_id == tournament_id).order_by(Match.id)))


def test_before_the_deadline_an_offline_remote_participant_is_waited_for(session, remotes):
    alice, _ = remotes
    weak = get_snapshot_by_name(session, "basic_weak")
    tournament = _tournament(session, [alice.id, weak.id])
    assert claim_jobs(session, "worker", 4, settings=NO_MATCHMAKING) == []  # a remote match: not a worker's
    assert [m.state for m in _matches_of(session, tournament.id)] == ["queued"]
    assert get_summary(session, tournament.id).state == "running"


def test_past_the_deadline_the_offline_side_forfeits_rated_and_the_tournament_is_done(session, remotes):
    alice, _ = remotes
    weak = get_snapshot_by_name(session, "basic_weak")
    tournament = _tournament(session, [alice.id, weak.id], deadline_s=60)
    assert tournament.remote_deadline_at is not None
    later = utcnow() + timedelta(seconds=61)
    claim_jobs(session, "worker", 4, settings=NO_MATCHMAKING, now=later)
    [match] = _matches_of(session, tournament.id)
    assert match.state == "done" and "alice-bot@v1 offline" in match.error
    games = list(session.scalars(select(Game).where(Game.match_id == match.id)))
    for game in games:  # the remote side lost every game, whichever side it had
        alice_side = 1 if (game.a_is_player_one == (match.snapshot_a_id == alice.id)) else 2
        assert game.end_reason == "forfeit" and game.forfeit_side == alice_side
        assert game.winner == (-1 if alice_side == 1 else 1)
    ratings = {r.snapshot_id: r for r in session.scalars(select(Rating))}
    assert ratings[alice.id].losses == 4 and ratings[alice.id].forfeits == 4 and ratings[weak.id].wins == 4
    assert get_summary(session, tournament.id).state == "done"
    claim_jobs(session, "worker", 4, settings=NO_MATCHMAKING, now=later)  # a second sweep counts nothing twice
    session.expire_all()
    assert session.get_one(Rating, alice.id).games == 4


def test_an_online_remote_participant_plays_on_after_the_deadline(session, remotes):
    alice, _ = remotes
    weak = get_snapshot_by_name(session, "basic_weak")
    tournament = _tournament(session, [alice.id, weak.id], deadline_s=1)
    later = utcnow() + timedelta(seconds=5)
    set_presence(session, online=[alice.id], settings=NO_MATCHMAKING, now=later)
    claim_jobs(session, "worker", 4, settings=NO_MATCHMAKING, now=later)
    assert [m.state for m in _matches_of(session, tournament.id)] == ["queued"]
    jobs = claim_remote_jobs(session, "gateway", play_for=[alice.id], settings=NO_MATCHMAKING, now=later)
    assert [j.job_id for j in jobs] == [m.id for m in _matches_of(session, tournament.id)]


@pytest.mark.parametrize("rated", [True, False])
def test_remote_against_remote_with_both_away_is_a_double_forfeit_a_draw_in_the_table_and_never_rated(
        session, remotes, rated):
    alice, bob = remotes
    tournament = _tournament(session, [alice.id, bob.id], deadline_s=1, rated=rated)
    claim_jobs(session, "worker", 1, settings=NO_MATCHMAKING, now=utcnow() + timedelta(seconds=2))
    [match] = _matches_of(session, tournament.id)
    games = list(session.scalars(select(Game).where(Game.match_id == match.id)))
    assert match.state == "done" and all(g.forfeit_side == 0 and g.winner == 0 for g in games)
    assert all(r.games == 0 for r in session.scalars(select(Rating).where(Rating.snapshot_id.in_([alice.id, bob.id]))))


def test_a_paused_tournament_forfeits_nothing(session, remotes):
    from league.core.tournaments import set_state

    alice, _ = remotes
    weak = get_snapshot_by_name(session, "basic_weak")
    tournament = _tournament(session, [alice.id, weak.id], deadline_s=1)
    set_state(session, tournament.id, "pause")
    claim_jobs(session, "worker", 1, settings=NO_MATCHMAKING, now=utcnow() + timedelta(seconds=2))
    assert [m.state for m in _matches_of(session, tournament.id)] == ["queued"]


@pytest.mark.parametrize("seconds", [0, -5, 90 * 24 * 3600 + 1, True, 1.5])
def test_a_deadline_out_of_range_is_refused(session, remotes, seconds):
    alice, _ = remotes
    with pytest.raises(InvalidInput, match="remote_deadline_s"):
        _tournament(session, [alice.id, get_snapshot_by_name(session, "basic_weak").id], deadline_s=seconds)


def test_a_late_result_for_a_match_forfeited_after_its_lease_ran_out_is_refused_and_counts_nothing(
        session, remotes):
    from league.core.errors import Conflict
    from league.core.jobs import report_result
    from tests.support.app_client import synthetic_result

    alice, _ = remotes
    weak = get_snapshot_by_name(session, "basic_weak")
    tournament = _tournament(session, [alice.id, weak.id], deadline_s=1)
    start = utcnow()
    set_presence(session, online=[alice.id], settings=NO_MATCHMAKING, now=start)
    settings = Settings(queue_target=0, lease_seconds=5, remote_online_seconds=10)
    [job] = claim_remote_jobs(session, "gateway", play_for=[alice.id], settings=settings, now=start)
    much_later = start + timedelta(seconds=60)  # the lease ran out and alice is no longer seen
    claim_jobs(session, "worker", 1, settings=settings, now=much_later)
    [match] = _matches_of(session, tournament.id)
    assert match.state == "done" and match.worker is None and match.error.startswith("forfeited")
    with pytest.raises(Conflict):
        report_result(session, job.job_id, "gateway", synthetic_result(job.model_dump(mode="json")),
                      lease_id=job.lease_id, settings=settings)
    session.expire_all()
    assert session.get_one(Rating, alice.id).games == 4
