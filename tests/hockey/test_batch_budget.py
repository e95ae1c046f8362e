"""`play_games(..., max_steps=N)`: the games together play exactly N steps when they would play more;
the games still running then are cut (no winner, no record), the others are as without a budget."""

from __future__ import annotations

import pytest

from league.hockey.batch import basic_opponent_policy, play_games
from tests.hockey.test_batch import MemoryPolicy

SEEDS = list(range(40, 48))


def _free():
    return play_games(MemoryPolicy(False), MemoryPolicy(True), SEEDS, record=True)


@pytest.mark.parametrize("budget", [8, 150, 301, 500])
def test_a_budget_is_played_exactly_and_cuts_the_games_still_running(budget):
    free = _free()
    assert sum(r.length for r in free) > budget
    # the memory policies check, every step, that each row still holds its own game after the cuts
    cut = play_games(MemoryPolicy(False), MemoryPolicy(True), SEEDS, record=True, max_steps=budget)
    assert sum(r.length for r in cut) == budget
    stopped = [r for r in cut if r.end_reason == "cut"]
    assert stopped and all(r.winner == 0 and r.record is None for r in stopped)
    for alone, budgeted in zip(free, cut, strict=True):
        if budgeted.end_reason != "cut":
            assert (budgeted.winner, budgeted.length, budgeted.end_reason) == (alone.winner, alone.length,
                                                                             alone.end_reason)
            assert budgeted.record["frames"] == alone.record["frames"]
        else:
            assert budgeted.length < alone.length


def test_a_budget_the_games_do_not_reach_changes_nothing():
    free = _free()
    roomy = play_games(MemoryPolicy(False), MemoryPolicy(True), SEEDS, record=True,
                       max_steps=sum(r.length for r in free))
    assert [(r.winner, r.length, r.end_reason) for r in roomy] == [(r.winner, r.length, r.end_reason) for r in free]


def test_a_budget_below_one_step_per_game_is_refused():
    with pytest.raises(ValueError, match="at least one step per game: 3 for 8 games"):
        play_games(basic_opponent_policy(True), basic_opponent_policy(False), SEEDS, max_steps=3)
