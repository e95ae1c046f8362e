"""The match runner on the real game: basic opponents play, a broken snapshot forfeits and loses."""

from __future__ import annotations

import numpy as np

from league.core.jobs import claim_job, report_result
from league.core.kinds import build_policy
from league.core.leaderboard import leaderboard
from league.core.matches import get_game_record, get_match
from league.core.matchmaking import create_match
from league.core.settings import Settings
from league.workers.runner import play_job
from tests.support.league_helpers import add_dreamer

QUIET = Settings(queue_target=0)


def _basic_ids(session):
    return {row.kind: row.snapshot_id for row in leaderboard(session) if row.kind != "dreamer"}


def test_basic_opponents_play_a_recorded_rated_match(session):
    basics = _basic_ids(session)
    create_match(session, basics["basic_weak"], basics["basic_strong"], n_games=2)
    job = claim_job(session, "w", settings=QUIET)
    result = play_job(job, lambda ref: build_policy(ref, seed=1))
    assert [g.index for g in result.games] == [0, 1]
    assert all(g.end_reason in ("goal", "time_limit") and 0 < g.length <= 251 for g in result.games)
    report_result(session, job.job_id, "w", result)
    detail = get_match(session, job.job_id)
    assert detail.state == "done" and all(g.has_record for g in detail.games)
    record = get_game_record(session, detail.games[0].id)
    assert record["seed"] == job.games[0].seed and record["length"] == result.games[0].length
    assert sum(row.games for row in leaderboard(session)) == 4


class ExplodingPolicy:
    """Loads fine, then raises on its third step."""

    def reset(self, n):
        self.steps = 0

    def act(self, obs):
        self.steps += 1
        if self.steps > 2:
            raise RuntimeError("boom")
        return np.zeros((len(obs), 4))


def test_snapshot_that_cannot_load_forfeits_every_game(session):
    broken = add_dreamer(session)  # loaded below from bytes that are not safetensors
    basics = _basic_ids(session)
    create_match(session, broken.id, basics["basic_weak"], n_games=2)
    job = claim_job(session, "w", settings=QUIET)

    def load(ref):
        return build_policy(ref, b"not safetensors" if ref.kind == "dreamer" else None, seed=0)

    result = play_job(job, load)
    assert [g.end_reason for g in result.games] == ["forfeit", "forfeit"]
    assert [g.forfeit_side for g in result.games] == [1, 2]  # broken is player one, then player two
    assert "could not be loaded" in result.games[0].error and "safetensors" in result.games[0].error
    report_result(session, job.job_id, "w", result)
    row = next(r for r in leaderboard(session) if r.snapshot_id == broken.id)
    assert (row.losses, row.forfeits, row.wins) == (2, 2, 0)


def test_policy_failing_during_play_forfeits_its_games(session):
    failing = add_dreamer(session)
    basics = _basic_ids(session)
    create_match(session, basics["basic_strong"], failing.id, n_games=2)
    job = claim_job(session, "w", settings=QUIET)
    result = play_job(job, lambda ref: ExplodingPolicy() if ref.kind == "dreamer" else build_policy(ref))
    assert all(g.end_reason == "forfeit" for g in result.games)
    assert "failed during play" in result.games[0].error and "boom" in result.games[0].error
    assert [g.winner for g in result.games] == [1, -1]  # the basic opponent wins on either side
    report_result(session, job.job_id, "w", result)
    assert next(r for r in leaderboard(session) if r.snapshot_id == failing.id).forfeits == 2
