"""Structural draws: a pair's own draw probability rates its games, the planner spends games where
they are decisive, and the basic-opponent yardstick reads a snapshot's shares, on a real database."""

from __future__ import annotations

import random

import pytest

from league.core.jobs import claim_job, report_result
from league.core.matchmaking import create_match
from league.core.pair_records import head_to_head_records
from league.core.pairing import Candidate, PairRecord, informative_weights, plan_pairings
from league.core.rating import (
    DRAW_PROBABILITY,
    PAIR_DRAW_MAX,
    PAIR_DRAW_MIN,
    Skill,
    pair_draw_probability,
    rate_game,
)
from league.core.settings import Settings
from league.core.snapshots import seed_builtin_snapshots
from league.core.yardstick import basic_records
from tests.support.league_helpers import add_dreamer, result_for


def test_the_pair_draw_probability_starts_at_the_league_default_and_follows_the_pair():
    assert pair_draw_probability(0, 0) == pytest.approx(DRAW_PROBABILITY)
    assert pair_draw_probability(400, 400) == PAIR_DRAW_MAX and pair_draw_probability(400, 0) == PAIR_DRAW_MIN
    assert pair_draw_probability(8, 8) == pytest.approx((8 + 8 * DRAW_PROBABILITY) / 16)


def test_a_draw_between_a_pair_that_only_draws_is_weak_evidence():
    low, high = Skill(20.0, 3.0), Skill(30.0, 3.0)
    usual = rate_game(low, high, 0)
    weak = rate_game(low, high, 0, pair_draw_probability(200, 198))
    assert weak[0].mu - low.mu < 0.6 * (usual[0].mu - low.mu)  # pulled up about half as far
    assert weak[0].sigma > usual[0].sigma
    assert rate_game(low, high, 0, DRAW_PROBABILITY) == usual
    won = rate_game(low, high, 1, pair_draw_probability(200, 190))
    assert won[0].mu - low.mu > rate_game(low, high, 1)[0].mu - low.mu  # a rare decisive game says more
    with pytest.raises(ValueError):
        rate_game(low, high, 2, 0.5)


def test_the_planner_passes_over_a_pair_that_only_draws():
    def candidates():
        return [Candidate(i, mu, 1.0, 100, 0) for i, mu in enumerate((25.0, 25.0, 24.0, 26.5))]
    pairs = {(0, 1): PairRecord(100, 99), (0, 2): PairRecord(20, 4), (0, 3): PairRecord(20, 4),
             (1, 2): PairRecord(20, 4), (1, 3): PairRecord(20, 4), (2, 3): PairRecord(20, 4)}
    plan = dict(games_per_match=4, placement_games=8)
    blind = plan_pairings(candidates(), 1, rng=random.Random(0), **plan)
    assert {blind[0].a_id, blind[0].b_id} == {0, 1}  # match quality alone picks the two copies
    aware = plan_pairings(candidates(), 8, rng=random.Random(0), pairs=pairs, **plan)
    assert all({p.a_id, p.b_id} != {0, 1} for p in aware)
    weights = informative_weights([0, 1, 2], pairs)
    assert weights[0, 1] < 0.02 < 0.5 < weights[0, 2] == weights[2, 0] and weights[0, 0] == 1


def test_results_rate_with_the_pair_draw_share_and_feed_the_yardstick(session):
    weak, strong = (s.id for s in sorted(seed_builtin_snapshots(session), key=lambda s: s.kind != "basic_weak"))
    drawer = add_dreamer(session, "drawer")
    settings = Settings(queue_target=0, games_per_match=4, placement_games=0)
    for opponent, outcomes in ((weak, [0, 0, 0, 1]), (strong, [0, 0, -1, 0]), (weak, [0, 0, 0, 0])):
        create_match(session, drawer.id, opponent, n_games=4, settings=settings, rng=random.Random(1))
        job = claim_job(session, "w", settings=settings, rng=random.Random(2))
        report_result(session, job.job_id, "w", result_for(job, outcomes), lease_id=job.lease_id)
    records = head_to_head_records(session)
    assert records[(min(drawer.id, weak), max(drawer.id, weak))] == PairRecord(games=8, draws=7)
    yardstick = basic_records(session, [drawer.id])[drawer.id]
    assert (yardstick.basic_weak.wins, yardstick.basic_weak.draws, yardstick.basic_weak.losses) == (1, 7, 0)
    assert yardstick.basic_strong.loss_share == 0.25 and yardstick.basic_strong.draw_share == 0.75
    every = basic_records(session)
    assert weak not in every and set(every) == {drawer.id}  # the two basic opponents never played
    assert basic_records(session, [12345]) == {}


def _rated_pool(size: int, rng: random.Random) -> list[Candidate]:
    return [Candidate(id=i, mu=25 + rng.gauss(0, 3), sigma=2 + rng.random(), games=40, kind="dreamer")
            for i in range(size)]


def test_the_batching_preference_reuses_snapshots_within_a_plan_and_still_plays_everyone():
    distinct = {}
    for recurrence in (0.0, 1.0):
        pool = _rated_pool(64, random.Random(3))
        plan = plan_pairings(pool, 32, games_per_match=4, placement_games=8, rng=random.Random(1),
                             recurrence=recurrence)
        assert len(plan) == 32 and all(p.a_id != p.b_id for p in plan)
        distinct[recurrence] = len({i for p in plan for i in (p.a_id, p.b_id)})
    assert distinct[1.0] < 0.9 * distinct[0.0], distinct
    pool = _rated_pool(64, random.Random(3))
    played = set()
    for _ in range(8):  # plan after plan (pending counts carry over), nobody is left out for long
        played |= {i for p in plan_pairings(pool, 32, games_per_match=4, placement_games=8, rng=random.Random(2),
                                            recurrence=1.0) for i in (p.a_id, p.b_id)}
    assert played == set(range(64))
