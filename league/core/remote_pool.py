"""Which snapshots and matches the agent gateway plays, as SQL conditions.

Kept apart from `league.core.remote` (connecting, presence, the gateway's claims) so that the job
queue and matchmaking can use them without importing what imports them: ordinary workers never claim
a match with a remote side (`ordinary_matches`), and matchmaking schedules a remote snapshot only
while it is online (`schedulable_snapshots`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from league.core.kinds.remote import NAME as REMOTE_KIND
from league.core.models import Game, Match, Snapshot


def remote_ids() -> Select:
    """The ids of every remote snapshot (a subquery)."""
    return select(Snapshot.id).where(Snapshot.kind == REMOTE_KIND)


def ordinary_matches() -> ColumnElement[bool]:
    """Matches without a remote side: the ones match workers may claim."""
    return and_(Match.snapshot_a_id.not_in(remote_ids()), Match.snapshot_b_id.not_in(remote_ids()))


def online_since(now: datetime, online_seconds: float) -> datetime:
    return now - timedelta(seconds=online_seconds)


def schedulable_snapshots(now: datetime, online_seconds: float) -> ColumnElement[bool]:
    """Snapshots matchmaking may pair: every one that is not remote, and remote ones while online."""
    return or_(Snapshot.kind != REMOTE_KIND,
               and_(Snapshot.online, Snapshot.last_seen_at >= online_since(now, online_seconds)))


def drop_offline_remote(session: Session, now: datetime, online_seconds: float) -> int:
    """Inside a write transaction: mark remote snapshots not heard of lately offline, and remove the
    league matches queued for offline ones that were never started (a tournament's stay: they are
    its schedule). Returns how many matches were removed."""
    cutoff = online_since(now, online_seconds)
    session.execute(update(Snapshot).where(Snapshot.kind == REMOTE_KIND, Snapshot.online,
                                           or_(Snapshot.last_seen_at.is_(None), Snapshot.last_seen_at < cutoff))
                    .values(online=False).execution_options(synchronize_session=False))
    offline = select(Snapshot.id).where(Snapshot.kind == REMOTE_KIND, Snapshot.online.is_(False))
    stale = list(session.scalars(select(Match.id).where(
        Match.state == "queued", Match.tournament_id.is_(None), Match.attempts == 0,
        or_(Match.snapshot_a_id.in_(offline), Match.snapshot_b_id.in_(offline)))))
    if stale:
        session.execute(delete(Game).where(Game.match_id.in_(stale)).execution_options(synchronize_session=False))
        session.execute(delete(Match).where(Match.id.in_(stale)).execution_options(synchronize_session=False))
    return len(stale)
