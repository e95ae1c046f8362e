"""Match jobs: claim with a lease, heartbeat, report the result or release the job, re-queue
expired leases.

A job is a `Match` row: queued -> leased (to one worker, until a time) -> done, or failed
after `max_attempts` leases ran out or after `max_deliveries` claims in all (releases included:
the dead letter for a job no worker can finish). Claiming first re-queues expired leases, fails
the jobs delivered too often and tops the queue up by matchmaking, so the queue never runs dry
while the pool has two members; it hands out a running tournament's jobs first (a paused one's
never), then the oldest.
Reporting is idempotent: the same result from the same worker counts once; a result for a
job that is not leased to the reporting worker is refused, as is one that does not fit the
job's games. A late result is accepted when its lease ran out and the job went back to the
queue but nobody has claimed it since (a re-queued job keeps its last lease id and worker
until the next claim), so finished work is not thrown away. Every refusal leaves the
database unchanged. A worker is its name and its token (`token_id`): the server takes both from
the caller's token, never from the request body, and never shows a lease id to anyone but the
worker that holds it.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import Conflict, InvalidInput
from league.core.matches import load_match, to_summary
from league.core.matchmaking import top_up_queue
from league.core.models import Game, Match, Snapshot, Worker, utcnow
from league.core.remote_pool import ordinary_matches
from league.core.result_checks import (
    claimable_checks,
    drop_stale_checks,
    plan_check,
    settle_check,
    wants_check,
)
from league.core.results import (
    check_games,
    encode_records,
    fill_games,
    parse_result,
    record_result,
    replay_records,
    result_digest,
)
from league.core.schemas import (
    JobAssignment,
    MatchResult,
    MatchSummary,
    PlannedGame,
    ReportOutcome,
    SnapshotRef,
    WorkerInfo,
)
from league.core.settings import Settings
from league.core.snapshots import NAME_MAX
from league.core.tournament_deadline import forfeit_overdue
from league.core.tournaments import claimable_matches


def _check_worker(worker: str) -> str:
    if not isinstance(worker, str) or not worker.strip() or len(worker) > NAME_MAX:
        raise InvalidInput(f"worker name must be 1 to {NAME_MAX} characters")
    return worker.strip()


def touch_worker(session: Session, worker: str, now: datetime, *, jobs_done: int = 0) -> None:
    """Note that `worker` was heard from (inside the caller's write transaction)."""
    row = session.get(Worker, worker, with_for_update=True)
    if row is None:
        session.add(Worker(name=worker, first_seen_at=now, last_seen_at=now, jobs_done=jobs_done))
    else:
        row.last_seen_at = max(row.last_seen_at, now)
        row.jobs_done += jobs_done


def expire_leases(session: Session, now: datetime, max_attempts: int) -> int:
    """Inside a write transaction: put jobs whose lease ran out back in the queue (or fail them).

    A re-queued job keeps its last `lease_id` and `worker` (for a late result) until claimed again.
    """
    expired = list(session.scalars(
        select(Match).where(Match.state == "leased", Match.lease_expires_at < now).with_for_update()))
    for match in expired:
        if match.attempts >= max_attempts:
            match.state, match.finished_at = "failed", now
            match.error = f"lease expired {match.attempts} times (last worker {match.worker!r})"
            match.worker = match.lease_id = None
        else:
            match.state = "queued"
        match.lease_expires_at = None
    return len(expired)


def dead_letter(session: Session, now: datetime, max_deliveries: int) -> int:
    """Inside a write transaction: fail every queued job that has been claimed `max_deliveries`
    times without a result (workers kept releasing it), so that it stops coming back."""
    stuck = list(session.scalars(
        select(Match).where(Match.state == "queued", Match.deliveries >= max_deliveries).with_for_update()))
    for match in stuck:
        match.state, match.finished_at = "failed", now
        match.error = (f"claimed {match.deliveries} times without a result (last worker {match.worker!r}); "
                       f"a job goes to failed after {max_deliveries} claims")
        match.worker = match.lease_id = None
    return len(stuck)


def requeue_expired(session: Session, settings: Settings | None = None, now: datetime | None = None) -> int:
    """Re-queue every job whose lease has expired; returns how many."""
    with write_transaction(session):
        return expire_leases(session, now or utcnow(), (settings or Settings()).max_attempts)


def _snapshot_ref(snapshot: Snapshot) -> SnapshotRef:
    return SnapshotRef(id=snapshot.id, name=snapshot.name, kind=snapshot.kind, sha256=snapshot.weights_sha256,
                       config=snapshot.config)


def _assignment(session: Session, match: Match) -> JobAssignment:
    games = session.scalars(select(Game).where(Game.match_id == match.id).order_by(Game.index))
    return JobAssignment(
        job_id=match.id, lease_id=match.lease_id, attempt=match.attempts, worker=match.worker,
        lease_expires_at=match.lease_expires_at,
        snapshot_a=_snapshot_ref(session.get_one(Snapshot, match.snapshot_a_id)),
        snapshot_b=_snapshot_ref(session.get_one(Snapshot, match.snapshot_b_id)),
        games=[PlannedGame(index=g.index, seed=g.seed, one_starting=g.one_starting,
                           a_is_player_one=g.a_is_player_one) for g in games],
    )


def claim_job(session: Session, worker: str, *, settings: Settings | None = None, now: datetime | None = None,
              rng: random.Random | None = None, token_id: int | None = None) -> JobAssignment | None:
    """Lease the oldest queued job to `worker` for `settings.lease_seconds`; None if there is none.

    The lease belongs to `worker` and the token `token_id` together (the server passes the
    caller's token and its name): a heartbeat, result or release of any other token is refused.
    Expired leases are re-queued and the queue is topped up by matchmaking first.
    """
    jobs = claim_jobs(session, worker, 1, settings=settings, now=now, rng=rng, token_id=token_id)
    return jobs[0] if jobs else None


def claim_jobs(session: Session, worker: str, count: int, *, settings: Settings | None = None,
               now: datetime | None = None, rng: random.Random | None = None,
               token_id: int | None = None) -> list[JobAssignment]:
    """Lease up to `count` queued jobs to `worker` in one transaction (as `claim_job` does one), in
    the order `claim_job` would hand them out; the queue is topped up to at least `count` first
    (unless `queue_target` is 0: no matchmaking)."""
    worker, settings, now = _check_worker(worker), settings or Settings(), now or utcnow()
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidInput(f"count must be a whole number of at least 1, got {count!r}")
    with write_transaction(session):
        touch_worker(session, worker, now)
        expire_leases(session, now, settings.max_attempts)
        dead_letter(session, now, settings.max_deliveries)
        forfeit_overdue(session, now, settings.remote_online_seconds)
        drop_stale_checks(session, now, settings.check_wait_s)
        short = 0 < settings.queue_target < count
        top_up_queue(session, settings.model_copy(update={"queue_target": count}) if short else settings, rng)
        # matches with a remote side are the agent gateway's (`league.core.remote`)
        return lease_matches(session, ordinary_matches(), count, worker, token_id, now, settings)


def lease_matches(session: Session, fits: ColumnElement[bool], count: int, worker: str, token_id: int | None, now: datetime,
                  settings: Settings) -> list[JobAssignment]:
    """Lease up to `count` queued matches that satisfy `fits` to `worker` (inside the caller's write
    transaction): a running tournament's matches first (a paused or cancelled one's never), then the
    oldest; a job that keeps coming back is failed by `dead_letter` after `max_deliveries` claims."""
    matches = session.scalars(select(Match).where(Match.state == "queued", claimable_matches(), fits,
                                                  claimable_checks(session, token_id))
                              .order_by(Match.tournament_id.is_(None), Match.id)
                              .limit(count).with_for_update(skip_locked=True)).all()
    claimed = []
    for match in matches:
        match.state, match.worker, match.lease_id = "leased", worker, uuid.uuid4().hex
        match.lease_token_id = token_id
        match.attempts += 1
        match.deliveries += 1
        match.started_at, match.lease_expires_at = now, now + timedelta(seconds=settings.lease_seconds)
        claimed.append(_assignment(session, match))
    return claimed


def _held_by(match: Match, worker: str, token_id: int | None) -> bool:
    """Whether the job's (last) lease belongs to `worker` under token `token_id`."""
    return match.worker == worker and match.lease_token_id == token_id


def _late_result(match: Match, worker: str, lease_id: str | None, token_id: int | None) -> bool:
    """True for a result under the last lease of a job that was re-queued and not claimed since."""
    return (match.state == "queued" and lease_id is not None and lease_id == match.lease_id
            and _held_by(match, worker, token_id))


def _leased_to(match: Match, worker: str, lease_id: str | None, token_id: int | None = None) -> None:
    if match.state != "leased" or not _held_by(match, worker, token_id):
        holder = match.state
        if match.state == "leased":
            holder = f"leased to {match.worker!r}" + (" under another token" if match.worker == worker else "")
        raise Conflict(f"job {match.id} is not leased to worker {worker!r} (it is {holder})")
    if lease_id is not None and lease_id != match.lease_id:
        raise Conflict(f"job {match.id}: lease {lease_id} has ended; the job was leased again")


def heartbeat(session: Session, job_id: int, worker: str, *, lease_id: str | None = None,
              settings: Settings | None = None, now: datetime | None = None,
              token_id: int | None = None) -> JobAssignment:
    """Extend the lease of a job `worker` holds by `settings.lease_seconds` from now.

    A lease that expired but has not been re-queued yet is extended too. Raises `NotFound`
    for an unknown job, `Conflict` when the job is not (or no longer) leased to `worker`.
    """
    worker, settings, now = _check_worker(worker), settings or Settings(), now or utcnow()
    with write_transaction(session):
        match = load_match(session, job_id, for_update=True)
        _leased_to(match, worker, lease_id, token_id)
        touch_worker(session, worker, now)
        match.lease_expires_at = now + timedelta(seconds=settings.lease_seconds)
        return _assignment(session, match)


def report_result(session: Session, job_id: int, worker: str, result: MatchResult | dict, *,
                  lease_id: str | None = None, now: datetime | None = None,
                  settings: Settings | None = None, token_id: int | None = None) -> ReportOutcome:
    """Record the result of a job leased to `worker` and rate its games.

    The same result reported again by the same worker is not counted twice: the outcome says
    `duplicate=True`. A late result (the lease ran out, the job was re-queued, nobody claimed
    it since) is accepted when it carries that last `lease_id`. Raises `NotFound` for an
    unknown job; `Conflict` when the job is not leased to `worker` (never was, or re-claimed
    since by another worker) or was already finished with a different result; `InvalidInput` when the games
    do not fit the job (wrong number, indices, inconsistent winner and end reason, a record
    for another seed).
    """
    worker, now = _check_worker(worker), now or utcnow()
    result = parse_result(result)
    replay_records(result)
    with write_transaction(session):
        return record_report(session, job_id, worker, result, lease_id=lease_id, now=now,
                             settings=settings or Settings(), token_id=token_id)


def record_report(session: Session, job_id: int, worker: str, result: MatchResult, *, lease_id: str | None,
                  now: datetime, settings: Settings, token_id: int | None) -> ReportOutcome:
    """`report_result`'s work inside the caller's write transaction (a batch runs one per savepoint)."""
    records = encode_records(result.games, settings.record_max_bytes)
    digest = result_digest(result, records)
    checked_id = session.scalar(select(Match.verifies_match_id).where(Match.id == job_id))
    if checked_id is not None:  # a check locks the match it checks first, as every re-open does (no deadlock)
        session.scalar(select(Match.id).where(Match.id == checked_id).with_for_update())
    match = load_match(session, job_id, for_update=True)
    if match.state == "done" and _held_by(match, worker, token_id) and match.result_digest == digest:
        return ReportOutcome(job_id=match.id, duplicate=True, match=to_summary(session, match))
    if match.state == "done":
        raise Conflict(f"job {match.id} has been reported already (by {match.worker!r})")
    if not _late_result(match, worker, lease_id, token_id):
        _leased_to(match, worker, lease_id, token_id)
    games = list(session.scalars(select(Game).where(Game.match_id == match.id).order_by(Game.index)))
    reports = check_games(match, games, result)
    checked = wants_check(session, match, reports, token_id, settings)
    if match.verifies_match_id is None:
        record_result(session, match, reports, now, record_max_bytes=settings.record_max_bytes, records=records,
                      games=games, defer_forfeits=checked)
    else:
        fill_games(games, reports, now)  # a check keeps its outcomes only: no record, no rating
    match.state, match.result_digest, match.finished_at, match.lease_expires_at = "done", digest, now, None
    match.error = "; ".join(f"game {r.index}: {r.error}" for r in reports if r.error)[:2000]
    touch_worker(session, worker, now, jobs_done=1)
    outcome = ReportOutcome(job_id=match.id, duplicate=False, match=to_summary(session, match))
    if checked:
        plan_check(session, match)
    if match.verifies_match_id is not None:
        settle_check(session, match, now)
    return outcome


def release_job(session: Session, job_id: int, worker: str, *, lease_id: str,
                now: datetime | None = None, token_id: int | None = None) -> MatchSummary:
    """Give a job `worker` holds back to the queue at once (the worker cannot play it).

    The attempt does not count towards `max_attempts`, and the released lease accepts no late
    result. Raises `NotFound` for an unknown job, `Conflict` when the job is not leased to
    `worker` under `lease_id`.
    """
    worker, now = _check_worker(worker), now or utcnow()
    if not isinstance(lease_id, str) or not lease_id:
        raise InvalidInput("releasing a job needs the lease id its claim returned")
    with write_transaction(session):
        match = load_match(session, job_id, for_update=True)
        _leased_to(match, worker, lease_id, token_id)
        touch_worker(session, worker, now)
        match.state, match.attempts = "queued", max(0, match.attempts - 1)
        match.worker = match.lease_id = match.lease_expires_at = match.lease_token_id = None
        return to_summary(session, match)


def job_counts(session: Session) -> dict[str, int]:
    """Number of jobs in each state (every state present, zeros included)."""
    counts = dict.fromkeys(("queued", "leased", "done", "failed"), 0)
    counts.update(session.execute(select(Match.state, func.count()).group_by(Match.state)).all())
    return counts


def workers_seen(session: Session, *, within_seconds: float = 60.0, now: datetime | None = None
                 ) -> list[WorkerInfo]:
    """Workers heard from in the last `within_seconds`, most recent first."""
    since = (now or utcnow()) - timedelta(seconds=within_seconds)
    rows = session.scalars(select(Worker).where(Worker.last_seen_at >= since).order_by(Worker.last_seen_at.desc()))
    return [WorkerInfo(name=w.name, first_seen_at=w.first_seen_at, last_seen_at=w.last_seen_at,
                       jobs_done=w.jobs_done) for w in rows]
