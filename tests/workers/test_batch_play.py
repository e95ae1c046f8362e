"""Many jobs in one lock step: the same games as one job at a time, and a failing policy forfeits only its own."""

from __future__ import annotations

import numpy as np

from agents.checkpoint import policy_from_bytes
from league.core.jobs import claim_jobs
from league.core.kinds import build_policy
from league.core.leaderboard import leaderboard
from league.core.matchmaking import create_match
from league.core.settings import Settings
from league.workers.batch_play import Table, play_tables
from league.workers.runner import play_job, play_jobs
from tests.support.league_helpers import TINY_CONFIG, add_dreamer, tiny_weights

QUIET = Settings(queue_target=0)


def _basic_ids(session):
    return {row.kind: row.snapshot_id for row in leaderboard(session) if row.kind != "dreamer"}


class CountingPolicy:
    """A deterministic policy that counts its calls and the rows it was asked about."""

    def __init__(self, sign: float = 1.0, fail_at: int | None = None):
        self.sign, self.fail_at = sign, fail_at
        self.calls, self.rows = 0, 0

    def reset(self, n):
        self.rows = n

    def drop(self, rows):
        self.rows -= len(rows)

    def act(self, obs):
        self.calls += 1
        if self.fail_at is not None and self.calls >= self.fail_at:
            raise RuntimeError("boom")
        assert len(obs) == self.rows
        return np.tanh(self.sign * obs[:, :4])


def test_every_policy_is_called_once_per_step_for_all_its_games_on_either_side():
    policies = {"a": CountingPolicy(1.0), "b": CountingPolicy(-1.0), "c": CountingPolicy(0.5)}
    tables = [Table(i, one, two, seed=i, one_starting=i % 2 == 0)
              for i, (one, two) in enumerate([("a", "b"), ("b", "a"), ("a", "c"), ("c", "c")])]
    outcomes = play_tables(policies, tables, record=True)
    longest = max(o.result.length for o in outcomes.values())
    assert policies["a"].calls == max(outcomes[i].result.length for i in (0, 1, 2))
    assert policies["c"].calls == max(outcomes[i].result.length for i in (2, 3)) and longest <= 251
    assert all(o.result.record["seed"] == i for i, o in outcomes.items())


def test_batched_jobs_play_exactly_the_games_of_one_job_at_a_time(session):
    snapshots = [add_dreamer(session, agent=f"run-{i}") for i in range(3)]
    basics = _basic_ids(session)
    for a, b in [(0, 1), (1, 2), (0, 1)]:
        create_match(session, snapshots[a].id, snapshots[b].id, n_games=2)
    create_match(session, snapshots[1].id, basics["basic_strong"], n_games=2)
    jobs = claim_jobs(session, "w", 10, settings=QUIET)
    weights = {s.sha256: tiny_weights(seed=s.id) for s in snapshots}  # any valid weights will do

    def load(ref):
        if ref.kind == "dreamer":
            return policy_from_bytes(weights[ref.sha256], TINY_CONFIG)
        return build_policy(ref, seed=0)

    batched = play_jobs(jobs, load, record=False)
    for job in jobs:
        alone = play_job(job, load, record=False)
        if job.snapshot_b.kind == "dreamer":  # the basic opponent draws its phases at random
            assert batched[job.job_id] == alone
        assert [g.index for g in batched[job.job_id].games] == list(range(len(job.games)))


def test_a_policy_failing_during_play_forfeits_only_its_own_games(session):
    good, bad, other = (add_dreamer(session, agent=name) for name in ("good", "bad", "other"))
    create_match(session, good.id, bad.id, n_games=2)
    create_match(session, other.id, good.id, n_games=2)
    create_match(session, bad.id, other.id, n_games=2)
    jobs = claim_jobs(session, "w", 3, settings=QUIET)
    policies = {good.sha256: CountingPolicy(1.0), bad.sha256: CountingPolicy(-1.0, fail_at=5),
                other.sha256: CountingPolicy(0.3)}
    results = play_jobs(jobs, lambda ref: policies[ref.sha256], record=False)
    versus_bad, unaffected, bad_first = (results[job.job_id].games for job in jobs)
    assert [g.end_reason for g in versus_bad] == ["forfeit", "forfeit"]
    assert [g.forfeit_side for g in versus_bad] == [2 if jobs[0].games[i].a_is_player_one else 1 for i in range(2)]
    assert "'bad@0' failed during play" in versus_bad[0].error and "boom" in versus_bad[0].error
    assert all(g.end_reason in ("goal", "time_limit") and g.length > 5 for g in unaffected)
    assert [(g.end_reason, g.forfeit_side) for g in bad_first] == [("forfeit", 1), ("forfeit", 2)]


def test_a_game_where_both_sides_fail_is_a_double_forfeit():
    policies = {"x": CountingPolicy(fail_at=3), "y": CountingPolicy(fail_at=3), "z": CountingPolicy()}
    outcomes = play_tables(policies, [Table("xy", "x", "y", 1, True), Table("zz", "z", "z", 2, False)])
    assert outcomes["xy"].failed_sides == (1, 2) and outcomes["xy"].result is None
    assert outcomes["zz"].result is not None and outcomes["zz"].result.length > 3


def test_a_snapshot_that_cannot_load_forfeits_only_its_jobs(session):
    broken, fine = add_dreamer(session, agent="broken"), add_dreamer(session, agent="fine")
    basics = _basic_ids(session)
    create_match(session, broken.id, basics["basic_weak"], n_games=2)
    create_match(session, fine.id, basics["basic_weak"], n_games=2)
    jobs = claim_jobs(session, "w", 2, settings=QUIET)

    def load(ref):
        if ref.sha256 == broken.sha256:
            raise ValueError("not safetensors")
        return CountingPolicy() if ref.kind == "dreamer" else build_policy(ref, seed=0)

    results = play_jobs(jobs, load, record=False)
    assert [g.forfeit_side for g in results[jobs[0].job_id].games] == [1, 2]
    assert "could not be loaded" in results[jobs[0].job_id].games[0].error
    assert all(g.end_reason != "forfeit" for g in results[jobs[1].job_id].games)
