"""Registration: nothing is stored that its kind has not checked; the snapshot and its placement
matches are stored together or not at all."""

from __future__ import annotations

import pickle

import pytest
from sqlalchemy import event, select

from league.core.errors import InvalidWeights
from league.core.matches import list_matches
from league.core.models import Match
from league.core.registration import register_snapshot
from league.core.settings import Settings
from league.core.snapshots import get_snapshot_by_name, set_active
from tests.support.league_helpers import TINY_CONFIG, dump_database, tiny_weights

PLACEMENT = Settings(games_per_match=4, placement_games=8)


def register(session, **kwargs):
    return register_snapshot(session, agent="run", config=TINY_CONFIG, step=5, weights=tiny_weights(), **kwargs)


@pytest.mark.parametrize(("weights", "status", "words"), [
    (b"\x00" * 64, 422, "not valid JSON"),
    (pickle.dumps({"encoder.weight": [1.0]}), 415, "pickle"),
    (tiny_weights()[:-8], 422, "truncated"),
], ids=["zeros", "pickle", "truncated"])
def test_weights_the_kind_does_not_accept_are_refused_and_nothing_is_stored(session, weights, status, words):
    before = dump_database(session)
    with pytest.raises(InvalidWeights, match=words) as caught:
        register_snapshot(session, agent="run", config=TINY_CONFIG, step=1, weights=weights,
                          placement_settings=PLACEMENT)
    assert caught.value.status_code == status
    assert dump_database(session) == before


def test_weights_that_do_not_fit_the_declared_config_are_refused(session):
    before = dump_database(session)
    with pytest.raises(InvalidWeights, match="do not match the declared config"):
        register_snapshot(session, agent="run", config={**TINY_CONFIG, "latent": 2}, step=1, weights=tiny_weights())
    with pytest.raises(InvalidWeights, match="invalid config"):
        register_snapshot(session, agent="run", config={"size": "debug"}, step=1, weights=tiny_weights())
    assert dump_database(session) == before


def test_placement_matches_are_queued_with_the_registration(session):
    registration = register(session, placement_settings=PLACEMENT)
    new = registration.snapshot.id
    queued = list_matches(session).items
    assert sorted(m.id for m in queued) == sorted(registration.placement_match_ids)
    assert {(m.snapshot_a_id, m.snapshot_b_name, m.n_games, m.reason, m.state) for m in queued} == {
        (new, "basic_weak", 4, "placement", "queued"), (new, "basic_strong", 4, "placement", "queued")}


def test_only_active_basic_opponents_get_a_placement_match_and_none_when_placement_is_off(session):
    set_active(session, get_snapshot_by_name(session, "basic_weak").id, False)
    first = register(session, placement_settings=PLACEMENT)
    assert len(first.placement_match_ids) == 1
    assert register(session, placement_settings=Settings(placement_games=0)).placement_match_ids == []
    assert register(session).placement_match_ids == []
    assert len(list_matches(session).items) == 1


def test_identical_weights_queue_no_more_placement(session):
    weights = tiny_weights()
    register_snapshot(session, agent="run", config=TINY_CONFIG, step=1, weights=weights, placement_settings=PLACEMENT)
    again = register_snapshot(session, agent="run", config=TINY_CONFIG, step=1, weights=weights,
                              placement_settings=PLACEMENT)
    assert not again.created and again.placement_match_ids == []
    assert len(list_matches(session).items) == 2


def test_a_failure_while_queueing_placement_stores_no_snapshot(session):
    before = dump_database(session)

    def refuse_matches(flushing, context, instances):
        if any(isinstance(obj, Match) for obj in flushing.new):
            raise RuntimeError("the database refused the match")

    event.listen(session, "before_flush", refuse_matches)
    with pytest.raises(RuntimeError, match="refused the match"):
        register(session, placement_settings=PLACEMENT)
    event.remove(session, "before_flush", refuse_matches)
    assert dump_database(session) == before
    assert session.scalars(select(Match)).all() == []
