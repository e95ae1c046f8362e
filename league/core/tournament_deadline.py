"""A tournament's deadline for its remote participants: past it, an offline one forfeits.

A remote snapshot plays only while its owner's program is connected to the agent gateway. A
tournament waits for it until its `remote_deadline_at`; from then on every match of the
tournament still queued with an offline remote side is recorded at once, each game a forfeit by
that side (both sides offline: a forfeit by both, a draw). The games are rated as the
tournament's other games are (`league.core.results.record_result`), so an agent that stays away
loses its games instead of leaving the tournament unfinished. A remote participant that is
online keeps playing its queued games after the deadline; a match already leased is played out.

`forfeit_overdue` runs inside the job queue's claim transaction (`league.core.jobs.claim_jobs`):
every worker's claim keeps the deadlines, with no loop of its own to run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from league.core.models import Game, Match, Rating, Snapshot, Tournament
from league.core.remote_pool import remote_ids, schedulable_snapshots
from league.core.results import FORFEIT_WINNER, record_result
from league.core.schemas import GameReport


def _offline_remote_ids(now: datetime, online_seconds: float):
    """The ids of remote snapshots that are not online now (a subquery)."""
    return select(Snapshot.id).where(Snapshot.id.in_(remote_ids()), ~schedulable_snapshots(now, online_seconds))


def _failing_side(game: Game, a_out: bool, b_out: bool) -> int:
    if a_out and b_out:
        return 0
    a_side = 1 if game.a_is_player_one else 2
    return a_side if a_out else 3 - a_side


def forfeit_overdue(session: Session, now: datetime, online_seconds: float) -> list[int]:
    """Inside a write transaction: record as forfeits the queued matches of running tournaments past
    their remote deadline that have an offline remote side; returns their ids."""
    overdue = select(Tournament.id).where(Tournament.state == "running", Tournament.remote_deadline_at.is_not(None),
                                          Tournament.remote_deadline_at <= now)
    absent = _offline_remote_ids(now, online_seconds)
    # only the matches that will be forfeited are locked: an online agent's stay free for the gateway
    matches = list(session.scalars(
        select(Match).where(Match.state == "queued", Match.tournament_id.in_(overdue),
                            or_(Match.snapshot_a_id.in_(absent), Match.snapshot_b_id.in_(absent)))
        .order_by(Match.id).with_for_update(skip_locked=True)))
    if not matches:
        return []
    involved = sorted({i for m in matches for i in (m.snapshot_a_id, m.snapshot_b_id)})
    offline = set(session.scalars(select(Snapshot.id).where(Snapshot.id.in_(involved), Snapshot.id.in_(absent))))
    # every rating row these matches change, locked at once in id order (as a single result locks its
    # two), so that rating several matches here never deadlocks with a result being reported
    session.execute(select(Rating.snapshot_id).where(Rating.snapshot_id.in_(involved))
                    .order_by(Rating.snapshot_id).with_for_update())
    names = dict(session.execute(select(Snapshot.id, Snapshot.name).where(Snapshot.id.in_(offline))).all())
    done = []
    for match in matches:
        a_out, b_out = match.snapshot_a_id in offline, match.snapshot_b_id in offline
        if not (a_out or b_out):
            continue
        games = list(session.scalars(select(Game).where(Game.match_id == match.id).order_by(Game.index)))
        away = ", ".join(names[i] for i in (match.snapshot_a_id, match.snapshot_b_id) if i in offline)
        error = f"{away} offline at the tournament's deadline"
        reports = []
        for game in games:
            side = _failing_side(game, a_out, b_out)
            reports.append(GameReport(index=game.index, winner=FORFEIT_WINNER[side], length=0,
                                      end_reason="forfeit", forfeit_side=side, error=error))
        record_result(session, match, reports, now, games=games)
        match.state, match.finished_at, match.error = "done", now, f"forfeited: {error}"
        match.worker = match.lease_id = match.lease_token_id = None  # nobody played it
        match.started_at = match.started_at or now
        done.append(match.id)
    return done
