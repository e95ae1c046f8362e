"""Batched job calls: a worker that holds many leases reports or heartbeats them in one request.

Each job of a batch is handled exactly as its single call would handle it (`jobs.record_report`,
the lease checks of `jobs.heartbeat`), in a savepoint of its own inside one write transaction: a
job that is refused (not leased to the caller, finished with another result, games that do not fit)
rolls back alone and gets its own outcome (the status the single endpoint would have answered),
the others are recorded, and all of them are committed together, once. A batch that is malformed
as a whole (empty, too many jobs, a job named twice) is refused before anything is read, with
`InvalidInput`, and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import InvalidInput, LeagueError
from league.core.jobs import _check_worker, _leased_to, record_report, touch_worker
from league.core.matches import load_match
from league.core.models import utcnow
from league.core.results import parse_result, replay_records
from league.core.schemas import MAX_JOBS_PER_BATCH, BatchItemOutcome, MatchResult
from league.core.settings import Settings


def check_batch(job_ids: Sequence[int], most: int = MAX_JOBS_PER_BATCH) -> None:
    """`InvalidInput` for an empty batch, one of more than `most` jobs, or one naming a job twice."""
    if not job_ids:
        raise InvalidInput("a batch names at least one job")
    if len(job_ids) > most:
        raise InvalidInput(f"a batch names at most {most} jobs, got {len(job_ids)}")
    counts = Counter(job_ids)
    twice = sorted(job_id for job_id, count in counts.items() if count > 1)
    if twice:
        raise InvalidInput(f"a batch names each job once; named more than once: {twice}")


def _refused(job_id: int, error: LeagueError) -> BatchItemOutcome:
    return BatchItemOutcome(job_id=job_id, status=error.status_code, detail=str(error))


def report_results(session: Session, worker: str, items: Sequence[tuple[int, str, MatchResult | dict]], *,
                   settings: Settings | None = None, now: datetime | None = None,
                   token_id: int | None = None) -> list[BatchItemOutcome]:
    """Record each `(job_id, lease_id, result)` as `report_result` would; an outcome per item, in order."""
    worker, settings, now = _check_worker(worker), settings or Settings(), now or utcnow()
    check_batch([job_id for job_id, _, _ in items])
    parsed: list[MatchResult | InvalidInput] = []
    for _, _, result in items:
        try:
            result_in = parse_result(result)
            replay_records(result_in)  # before the transaction: Box2D holds no lock
            parsed.append(result_in)
        except InvalidInput as error:
            parsed.append(error)
    outcomes = []
    with write_transaction(session):
        for (job_id, lease_id, _), checked in zip(items, parsed, strict=True):
            if isinstance(checked, InvalidInput):
                outcomes.append(_refused(job_id, checked))
                continue
            savepoint = session.begin_nested()
            try:
                outcome = record_report(session, job_id, worker, checked, lease_id=lease_id, now=now,
                                        settings=settings, token_id=token_id)
            except LeagueError as error:
                savepoint.rollback()
                outcomes.append(_refused(job_id, error))
                continue
            savepoint.commit()
            outcomes.append(BatchItemOutcome(job_id=job_id, status=200, duplicate=outcome.duplicate))
    return outcomes


def heartbeats(session: Session, worker: str, items: Sequence[tuple[int, str]], *,
               settings: Settings | None = None, now: datetime | None = None,
               token_id: int | None = None) -> list[BatchItemOutcome]:
    """Extend each `(job_id, lease_id)` lease as `heartbeat` would; an outcome per item, in order."""
    worker, settings, now = _check_worker(worker), settings or Settings(), now or utcnow()
    check_batch([job_id for job_id, _ in items])
    expires = now + timedelta(seconds=settings.lease_seconds)
    outcomes = []
    with write_transaction(session):
        touch_worker(session, worker, now)
        for job_id, lease_id in items:
            try:
                match = load_match(session, job_id, for_update=True)
                _leased_to(match, worker, lease_id, token_id)
            except LeagueError as error:
                outcomes.append(_refused(job_id, error))
                continue
            match.lease_expires_at = expires
            outcomes.append(BatchItemOutcome(job_id=job_id, status=200, lease_expires_at=expires))
    return outcomes
