"""Remote snapshots in the league core: ownership, presence, who may claim their jobs, who plays them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from league.core.errors import Conflict, Forbidden, InvalidInput
from league.core.jobs import claim_job
from league.core.matchmaking import create_match, fill_queue, pool_candidates
from league.core.models import Match
from league.core.remote import claim_remote_jobs, connect_remote, list_remote, set_presence
from league.core.sampling import sample_opponents
from league.core.settings import Settings
from league.core.snapshots import get_snapshot_by_name
from league.core.users import Actor, create_user
from tests.support.league_helpers import add_dreamer

SETTINGS = Settings(queue_target=4, games_per_match=2)


@pytest.fixture
def remote(session):
    create_user(session, "alice")
    return connect_remote(session, agent="alice-bot", version="v1", by=Actor("alice", False)).snapshot


def test_connecting_makes_one_remote_snapshot_per_version_owned_by_its_user(session, remote):
    assert remote.kind == "remote" and remote.owner == "alice" and remote.name == "alice-bot@v1"
    again = connect_remote(session, agent="alice-bot", version="v1", by=Actor("alice", False))
    assert again.snapshot.id == remote.id and not again.created
    newer = connect_remote(session, agent="alice-bot", version="v2", by=Actor("alice", False))
    assert newer.created and newer.snapshot.id != remote.id
    create_user(session, "mallory")
    with pytest.raises(Forbidden, match="belongs to 'alice'"):
        connect_remote(session, agent="alice-bot", version="v3", by=Actor("mallory", False))
    add_dreamer(session, agent="alice-run", step=5)
    with pytest.raises(Conflict):  # the name of a snapshot that is no remote agent
        connect_remote(session, agent="alice-run", version="5", by=None)


def test_offline_remote_snapshots_are_never_scheduled_and_online_ones_are(session, remote):
    ids = {c.id for c in pool_candidates(session, SETTINGS)}
    assert remote.id not in ids
    fill_queue(session, SETTINGS)
    assert all(remote.id not in (m.snapshot_a_id, m.snapshot_b_id) for m in session.scalars(select(Match)))
    set_presence(session, online=[remote.id], settings=SETTINGS)
    assert remote.id in {c.id for c in pool_candidates(session, SETTINGS)}
    assert [a.online for a in list_remote(session, settings=SETTINGS)] == [True]
    with pytest.raises(InvalidInput, match="not remote"):
        set_presence(session, online=[1], settings=SETTINGS)


def test_ordinary_workers_never_claim_a_remote_match_and_the_gateway_does(session, remote):
    set_presence(session, online=[remote.id], settings=SETTINGS)
    basic = get_snapshot_by_name(session, "basic_weak")
    create_match(session, remote.id, basic.id, n_games=2)
    assert claim_job(session, "worker", settings=Settings(queue_target=0)) is None
    jobs = claim_remote_jobs(session, "gateway", play_for=[remote.id], settings=Settings(queue_target=0))
    assert len(jobs) == 1 and jobs[0].snapshot_a.kind == "remote"


def test_a_connected_agent_without_a_match_is_given_one_in_the_claim(session, remote):
    jobs = claim_remote_jobs(session, "gateway", play_for=[remote.id], count=4, settings=Settings(queue_target=0))
    assert len(jobs) == 1 and jobs[0].snapshot_b.name == "basic_weak"
    set_presence(session, offline=[remote.id], settings=SETTINGS)


def test_trainers_never_draw_a_remote_opponent(session, remote):
    learner = add_dreamer(session, agent="run", step=1)
    set_presence(session, online=[remote.id], settings=SETTINGS)
    drawn = sample_opponents(session, learner.id, 200, mode="uniform", latest_self_share=0, basic_share=0)
    assert all(choice.snapshot.kind != "remote" for choice in drawn)


def test_going_offline_removes_its_unstarted_league_matches(session, remote):
    set_presence(session, online=[remote.id], settings=SETTINGS)
    basic = get_snapshot_by_name(session, "basic_strong")
    create_match(session, remote.id, basic.id, n_games=2)
    set_presence(session, offline=[remote.id], settings=SETTINGS)
    assert not [m for m in session.scalars(select(Match)) if remote.id in (m.snapshot_a_id, m.snapshot_b_id)]
