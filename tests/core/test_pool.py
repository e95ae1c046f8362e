"""Snapshots, tokens, training metrics and opponent sampling on real databases."""

from __future__ import annotations

import random

import pytest

from league.core.errors import Conflict, Forbidden, InvalidInput, InvalidToken, NotFound
from league.core.jobs import claim_job, report_result
from league.core.matchmaking import create_match
from league.core.metrics import read_metrics, record_metrics
from league.core.registration import register_snapshot
from league.core.sampling import pfsp_weight, sample_opponents
from league.core.settings import Settings
from league.core.snapshots import (
    get_snapshot,
    get_weights,
    latest_snapshot,
    list_snapshots,
    set_active,
)
from league.core.tokens import create_token, list_tokens, revoke_token, rotate_token, verify_token
from tests.support.league_helpers import TINY_CONFIG, add_dreamer, dump_database, result_for, tiny_weights


def test_identical_weights_are_stored_once(session):
    weights = tiny_weights()
    first = register_snapshot(session, agent="run", config=TINY_CONFIG, step=10, weights=weights)
    again = register_snapshot(session, agent="other", config=TINY_CONFIG, step=99, weights=weights)
    assert first.created and not again.created and again.snapshot.id == first.snapshot.id
    assert first.snapshot.name == "run@10" and first.snapshot.size == len(weights)
    assert len(first.snapshot.sha256) == 64 and get_weights(session, first.snapshot.id) == weights
    second = register_snapshot(session, agent="run", config=TINY_CONFIG, step=10, weights=tiny_weights())
    assert second.snapshot.name.startswith("run@10-")
    assert latest_snapshot(session, "run").id == second.snapshot.id


def test_list_filter_retire_and_reactivate(session):
    a, b = add_dreamer(session, "alpha", 1), add_dreamer(session, "beta", 2)
    assert list_snapshots(session).total == 4
    assert [s.id for s in list_snapshots(session, agent="alpha").items] == [a.id]
    assert list_snapshots(session, kind="basic_weak").items[0].name == "basic_weak"
    assert [s.id for s in list_snapshots(session, limit=1, offset=1).items] == [a.id]
    assert not set_active(session, b.id, False).active
    assert [s.id for s in list_snapshots(session, active=False).items] == [b.id]
    with pytest.raises(Conflict, match="retired"):
        create_match(session, a.id, b.id)
    assert set_active(session, b.id, True).active


def test_snapshot_bad_input(session):
    before = dump_database(session)
    with pytest.raises(InvalidInput, match="kind"):
        register_snapshot(session, agent="x", kind="basic_weak", config={}, step=0, weights=b"w")
    with pytest.raises(InvalidInput, match="step"):
        register_snapshot(session, agent="x", config={}, step=-1, weights=b"w")
    with pytest.raises(InvalidInput, match="weights"):
        register_snapshot(session, agent="x", config={}, step=0, weights=b"")
    with pytest.raises(InvalidInput, match="agent name"):
        register_snapshot(session, agent=" ", config={}, step=0, weights=b"w")
    with pytest.raises(NotFound):
        get_snapshot(session, 999)
    with pytest.raises(NotFound, match="no weights"):
        get_weights(session, list_snapshots(session, kind="basic_weak").items[0].id)
    with pytest.raises(NotFound, match="no agent"):
        list_snapshots(session, agent="nobody")
    with pytest.raises(InvalidInput, match="limit"):
        list_snapshots(session, limit=0)
    assert dump_database(session) == before


def test_tokens_create_verify_revoke_rotate(session):
    new = create_token(session, "ci worker", "worker")
    assert new.plaintext.startswith("lg_") and verify_token(session, new.plaintext).role == "worker"
    assert new.plaintext not in str(dump_database(session))
    rotated = rotate_token(session, new.token.id)
    with pytest.raises(InvalidToken, match="revoked"):
        verify_token(session, new.plaintext)
    assert verify_token(session, rotated.plaintext).name == "ci worker"
    revoke_token(session, rotated.token.id)
    assert list_tokens(session) == [] and len(list_tokens(session, include_revoked=True)) == 2
    assert verify_token(session, "boot", admin_token="boot").role == "admin"
    for bad in (None, "", "lg_nonsense"):
        with pytest.raises(InvalidToken) as raised:
            verify_token(session, bad, admin_token="boot")
        assert not isinstance(raised.value, Forbidden) and raised.value.status_code == 401
    with pytest.raises(InvalidInput, match="role"):
        create_token(session, "x", "root")
    with pytest.raises(NotFound):
        revoke_token(session, 999)


def test_metrics_round_trip(session):
    stored = record_metrics(session, "run", [{"step": 10, "values": {"loss": 1.5, "return": 0.1}},
                                             {"step": 20, "values": {"loss": 1.0}}])
    assert stored == 3
    points = read_metrics(session, "run", names=["loss"])
    assert [(p.step, p.value) for p in points] == [(10, 1.5), (20, 1.0)]
    assert [p.step for p in read_metrics(session, "run", since_step=15)] == [20]
    with pytest.raises(InvalidInput, match="not finite"):
        record_metrics(session, "run", [{"step": 30, "values": {"loss": float("nan")}}])
    with pytest.raises(InvalidInput, match="malformed"):
        record_metrics(session, "run", [{"step": -1, "values": {}}])
    with pytest.raises(NotFound):
        read_metrics(session, "nobody")


def test_pfsp_prefers_the_opponents_the_learner_loses_to(session):
    learner, beaten, beating = add_dreamer(session, "me", 1), add_dreamer(session, "x", 1), add_dreamer(session, "y", 1)
    quiet = Settings(queue_target=0)
    for opponent, learner_outcome in ((beaten, 1), (beating, -1)):
        for _ in range(3):
            create_match(session, learner.id, opponent.id, n_games=4)
            job = claim_job(session, "w", settings=quiet)
            report_result(session, job.job_id, "w", result_for(job, [learner_outcome] * 4))
    draws = sample_opponents(session, learner.id, 2000, mode="hard", latest_self_share=0.0, basic_share=0.0,
                             rng=random.Random(0))
    counts = {s: sum(c.snapshot.id == s for c in draws) for s in (beaten.id, beating.id)}
    assert counts[beating.id] > 10 * counts[beaten.id]
    mixed = sample_opponents(session, learner.id, 1000, latest_self_share=0.3, basic_share=0.2, rng=random.Random(1))
    sources = [c.source for c in mixed]
    assert 0.25 < sources.count("latest_self") / 1000 < 0.35 and 0.15 < sources.count("basic") / 1000 < 0.25
    assert all(c.snapshot.kind.startswith("basic") for c in mixed if c.source == "basic")
    assert pfsp_weight(0.5, "even") == 0.25 and pfsp_weight(0.9, "uniform") == 1.0
    with pytest.raises(InvalidInput, match="mode"):
        sample_opponents(session, learner.id, 1, mode="greedy")
    with pytest.raises(NotFound):
        sample_opponents(session, 999, 1)
