"""The match runner: play a leased job's games and build the result to report.

Each snapshot's policy comes from the caller's `load_policy(ref)` (a worker's `PolicyLoader`,
which fetches the weights and builds the policy by the snapshot's kind). Games run with the
game's batched play (`league.hockey.batch.play_games`), in two batches: the games where
snapshot a is player one, then those where it is player two. A snapshot whose policy cannot
be loaded forfeits every game; one whose policy raises (or returns bad actions) during a
batch forfeits that batch's games (`PolicyError` says which side). A forfeit is a loss for
the failing snapshot (a draw if both fail) and is rated like any game.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from league.core.schemas import GameReport, JobAssignment, MatchResult, PlannedGame, SnapshotRef
from league.hockey.batch import PolicyError, play_games

LoadPolicy = Callable[[SnapshotRef], Any]


def _forfeit(game: PlannedGame, a_failed: bool, b_failed: bool, error: str) -> GameReport:
    if a_failed and b_failed:
        return GameReport(index=game.index, winner=0, length=0, end_reason="forfeit", forfeit_side=0, error=error)
    a_side = 1 if game.a_is_player_one else 2
    failing_side = a_side if a_failed else 3 - a_side
    return GameReport(index=game.index, winner=-1 if failing_side == 1 else 1, length=0, end_reason="forfeit",
                      forfeit_side=failing_side, error=error)


def _load(load_policy: LoadPolicy, ref: SnapshotRef) -> tuple[Any, str]:
    try:
        return load_policy(ref), ""
    except Exception as error:  # any failure to load is a forfeit, whatever raised it
        return None, f"snapshot {ref.name!r} could not be loaded: {type(error).__name__}: {error}"


def play_job(job: JobAssignment, load_policy: LoadPolicy, *, record: bool = True,
             progress: bool = False) -> MatchResult:
    """Play every game of `job`, loading each snapshot's policy with `load_policy(ref)`.

    Returns the result to pass to `report_result` (or to send to the server): one report per
    planned game, with the game record when `record` is set.
    """
    policy_a, error_a = _load(load_policy, job.snapshot_a)
    policy_b, error_b = _load(load_policy, job.snapshot_b)
    reports: dict[int, GameReport] = {}
    if policy_a is None or policy_b is None:
        error = "; ".join(e for e in (error_a, error_b) if e)
        for game in job.games:
            reports[game.index] = _forfeit(game, policy_a is None, policy_b is None, error)
        return MatchResult(games=[reports[i] for i in sorted(reports)])
    for a_is_one in (True, False):
        batch = [g for g in job.games if g.a_is_player_one == a_is_one]
        if not batch:
            continue
        one, two = (policy_a, policy_b) if a_is_one else (policy_b, policy_a)
        try:
            results = play_games(one, two, [g.seed for g in batch], [g.one_starting for g in batch],
                                 record=record, progress=progress)
        except PolicyError as error:
            a_failed = (error.side == 1) == a_is_one
            failed_ref = job.snapshot_a if a_failed else job.snapshot_b
            message = f"snapshot {failed_ref.name!r} failed during play: {error}"
            for game in batch:
                reports[game.index] = _forfeit(game, a_failed, not a_failed, message)
            continue
        for game, result in zip(batch, results, strict=True):
            reports[game.index] = GameReport(index=game.index, winner=result.winner, length=result.length,
                                             end_reason=result.end_reason, record=result.record)
    return MatchResult(games=[reports[i] for i in sorted(reports)])
