"""What the league is doing now: jobs waiting and leased, and the workers heard from lately."""

from __future__ import annotations

from sqlalchemy.orm import Session

from league.core.jobs import job_counts, workers_seen
from league.core.read_schemas import LeagueStatus


def league_status(session: Session, *, worker_seen_seconds: float) -> LeagueStatus:
    """Jobs queued and leased, and the workers heard from within `worker_seen_seconds` (two queries)."""
    counts = job_counts(session)
    workers = workers_seen(session, within_seconds=worker_seen_seconds)
    return LeagueStatus(jobs_queued=counts["queued"], jobs_running=counts["leased"], workers_seen=len(workers))
