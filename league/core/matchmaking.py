"""Matchmaking in the database: schedule matches and keep the job queue filled.

Who plays whom is decided by `league.core.pairing` from the current ratings; this module reads
the pool, counts each snapshot's waiting matches, and writes the planned matches with their
games (seeds, sides and starts fixed when the match is made).
"""

from __future__ import annotations

import random

from sqlalchemy import and_, func, select, union_all
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import Conflict, InvalidInput
from league.core.matches import to_summary
from league.core.models import Game, Match, Rating, Snapshot, utcnow
from league.core.pair_records import head_to_head_records
from league.core.pairing import Candidate, plan_games, plan_pairings
from league.core.remote_pool import drop_offline_remote, schedulable_snapshots
from league.core.schemas import MAX_GAMES_PER_MATCH, MatchSummary
from league.core.settings import Settings
from league.core.snapshots import load_snapshot

OPEN_STATES = ("queued", "leased")
_rng = random.SystemRandom()


def placement_rng() -> random.Random:
    """The random source that plans the games of matches nobody passed a generator for."""
    return _rng


def insert_match(session: Session, a: Snapshot, b: Snapshot, n_games: int, reason: str,
                 rng: random.Random) -> Match:
    """Add a queued match of `n_games` between `a` and `b` with its planned games (no commit)."""
    match = Match(snapshot_a_id=a.id, snapshot_b_id=b.id, n_games=n_games, reason=reason, state="queued")
    session.add(match)
    session.flush()
    for plan in plan_games(n_games, rng):
        session.add(Game(match_id=match.id, index=plan.index, seed=plan.seed, one_starting=plan.one_starting,
                         a_is_player_one=plan.a_is_player_one))
    return match


def create_match(session: Session, a_id: int, b_id: int, *, n_games: int | None = None, reason: str = "manual",
                 settings: Settings | None = None, rng: random.Random | None = None) -> MatchSummary:
    """Queue a match between snapshots `a_id` and `b_id` (e.g. one an admin asks for).

    Raises `NotFound` for an unknown snapshot, `InvalidInput` for a self-match or an odd or
    too small number of games, `Conflict` for a retired snapshot.
    """
    n_games = n_games if n_games is not None else (settings or Settings()).games_per_match
    if a_id == b_id:
        raise InvalidInput(f"a snapshot cannot play itself (snapshot {a_id})")
    if not isinstance(n_games, int) or n_games < 2 or n_games % 2 or n_games > MAX_GAMES_PER_MATCH:
        raise InvalidInput(f"a match has an even number of games from 2 to {MAX_GAMES_PER_MATCH}, not {n_games!r}")
    with write_transaction(session):
        a, b = load_snapshot(session, a_id), load_snapshot(session, b_id)
        for snapshot in (a, b):
            if not snapshot.active:
                raise Conflict(f"snapshot {snapshot.name!r} is retired; re-activate it first")
        match = insert_match(session, a, b, n_games, reason, rng or _rng)
        return to_summary(session, match)


def pool_candidates(session: Session, settings: Settings | None = None) -> list[Candidate]:
    """Active snapshots with their ratings and the number of open (queued or leased) matches; remote
    snapshots only while online (`league.core.remote_pool`)."""
    online_seconds = (settings or Settings()).remote_online_seconds
    open_matches = and_(Match.state.in_(OPEN_STATES), Match.verifies_match_id.is_(None))  # checks wait apart
    sides = union_all(
        select(Match.snapshot_a_id.label("sid")).where(open_matches),
        select(Match.snapshot_b_id.label("sid")).where(open_matches),
    ).subquery()
    pending: dict[int, int] = dict(session.execute(select(sides.c.sid, func.count()).group_by(sides.c.sid)).all())
    rows = session.execute(
        select(Snapshot.id, Snapshot.kind, Rating.mu, Rating.sigma, Rating.games)
        .join(Rating, Rating.snapshot_id == Snapshot.id)
        .where(Snapshot.active, schedulable_snapshots(utcnow(), online_seconds)).order_by(Snapshot.id)
    )
    return [Candidate(id=i, mu=mu, sigma=sigma, games=games, pending=pending.get(i, 0), kind=kind)
            for i, kind, mu, sigma, games in rows]


def queued_count(session: Session) -> int:
    """Queued league matches (a tournament's are its own schedule, and checks of results may wait for a
    worker that may play them: neither fills the league's queue)."""
    return session.scalar(select(func.count()).select_from(Match).where(
        Match.state == "queued", Match.tournament_id.is_(None), Match.verifies_match_id.is_(None))) or 0


def top_up_queue(session: Session, settings: Settings, rng: random.Random | None = None) -> list[int]:
    """Inside the caller's write transaction: add matches until `settings.queue_target` are queued."""
    drop_offline_remote(session, utcnow(), settings.remote_online_seconds)
    missing = settings.queue_target - queued_count(session)
    if missing <= 0:
        return []
    candidates = pool_candidates(session, settings)
    by_id = {s.id: s for s in session.scalars(select(Snapshot).where(Snapshot.active))}
    pairings = plan_pairings(candidates, missing, games_per_match=settings.games_per_match,
                             placement_games=settings.placement_games, rng=rng or _rng,
                             pairs=head_to_head_records(session), recurrence=settings.plan_recurrence)
    return [insert_match(session, by_id[p.a_id], by_id[p.b_id], settings.games_per_match, p.reason, rng or _rng).id
            for p in pairings]


def fill_queue(session: Session, settings: Settings | None = None, rng: random.Random | None = None) -> list[int]:
    """Queue new matches until `queue_target` are waiting; returns the new match ids."""
    with write_transaction(session):
        return top_up_queue(session, settings or Settings(), rng)
