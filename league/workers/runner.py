"""The match runner: play a leased job's games and build the result to report.

Each snapshot's policy comes from the caller's `load_policy(ref)` (a worker's `PolicyLoader`,
which fetches the weights and builds the policy by the snapshot's kind). Games run with the
game's batched play (`league.hockey.batch.play_games`), in two batches: the games where
snapshot a is player one, then those where it is player two. A snapshot whose policy cannot
be loaded forfeits every game; one whose policy raises (or returns bad actions) during a
batch forfeits that batch's games (`PolicyError` says which side). A forfeit is a loss for
the failing snapshot (a draw if both fail) and is rated like any game.

`play_jobs` plays many jobs at once (a worker holding several leases): every game of every job in
one lock step, each distinct snapshot's policy called once per step with all its games.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from league.core.schemas import GameReport, JobAssignment, MatchResult, PlannedGame, SnapshotRef
from league.hockey.batch import PolicyError, play_games
from league.workers.batch_play import Table, play_tables

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


def _policy_key(ref: SnapshotRef) -> str:
    """One policy per distinct snapshot: by its weights (shared by every match it plays in), or by id."""
    return f"sha256:{ref.sha256}" if ref.sha256 else f"snapshot:{ref.id}"


def play_jobs(jobs: list[JobAssignment], load_policy: LoadPolicy, *, record: bool = True) -> dict[int, MatchResult]:
    """Play every game of every job in one lock step (`league.workers.batch_play`); a result per job id.

    Each distinct snapshot's policy is loaded once and called once per step with all its games, on
    either side. A snapshot that cannot be loaded forfeits every game it has; one whose policy fails
    during play forfeits its unfinished games (in every job it plays in); the other games go on.
    """
    policies: dict[str, Any] = {}
    load_errors: dict[str, str] = {}
    for job in jobs:
        for ref in (job.snapshot_a, job.snapshot_b):
            key = _policy_key(ref)
            if key not in policies and key not in load_errors:
                policy, error = _load(load_policy, ref)
                if policy is None:
                    load_errors[key] = error
                else:
                    policies[key] = policy
    reports: dict[int, dict[int, GameReport]] = {job.job_id: {} for job in jobs}
    tables = []
    for job in jobs:
        key_a, key_b = _policy_key(job.snapshot_a), _policy_key(job.snapshot_b)
        if key_a in load_errors or key_b in load_errors:
            error = "; ".join(load_errors[k] for k in dict.fromkeys((key_a, key_b)) if k in load_errors)
            for game in job.games:
                reports[job.job_id][game.index] = _forfeit(game, key_a in load_errors, key_b in load_errors, error)
            continue
        for game in job.games:
            one, two = (key_a, key_b) if game.a_is_player_one else (key_b, key_a)
            tables.append(Table((job.job_id, game.index), one, two, game.seed, game.one_starting))
    by_key = {(job.job_id, game.index): (job, game) for job in jobs for game in job.games}
    for key, outcome in play_tables(policies, tables, record=record).items():
        job, game = by_key[key]
        if outcome.result is not None:
            result = outcome.result
            report = GameReport(index=game.index, winner=result.winner, length=result.length,
                                end_reason=result.end_reason, record=result.record)
        else:
            a_side = 1 if game.a_is_player_one else 2
            a_failed, b_failed = a_side in outcome.failed_sides, (3 - a_side) in outcome.failed_sides
            failed = [ref.name for ref, bad in ((job.snapshot_a, a_failed), (job.snapshot_b, b_failed)) if bad]
            report = _forfeit(game, a_failed, b_failed,
                              f"snapshot {' and '.join(repr(n) for n in failed)} failed during play: {outcome.error}")
        reports[job.job_id][game.index] = report
    return {job_id: MatchResult(games=[games[i] for i in sorted(games)]) for job_id, games in reports.items()}
