"""Taking results back: a match played again, a worker caught forging results, ratings recomputed.

`reopen_match` puts a finished match back in the queue as if it had never been played (its games'
results, records, rating history and checks are deleted); `catch_worker` does that to every result
a token reported, revokes the token, writes an audit entry and recomputes every rating from the
games that remain (`recompute_ratings`), all inside the caller's write transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from league.core.models import (
    ApiToken,
    AuditEntry,
    Game,
    GameRecord,
    Match,
    PairStats,
    Rating,
    RatingChange,
    Tournament,
    utcnow,
)
from league.core.rating import initial_skill
from league.core.results import apply_game, count_game

SERVER_ROLE = "server"  # the role of the audit entries the league writes by itself


def _delete_checks(session: Session, match_ids: list[int]) -> None:
    checks = list(session.scalars(select(Match.id).where(Match.verifies_match_id.in_(match_ids))))
    if checks:
        session.execute(delete(Game).where(Game.match_id.in_(checks)), execution_options={"synchronize_session": False})
        session.execute(delete(Match).where(Match.id.in_(checks)), execution_options={"synchronize_session": "fetch"})


def reopen_match(session: Session, match: Match, *, recompute: bool = True) -> int | None:
    """Put a finished match back in the queue as if it had never been played: its games' results,
    records and rating history go, and so do its checks; with `recompute`, the ratings are then
    recomputed from its first rated game on (a caller re-opening many matches recomputes once).
    Returns the id of its first rating-history row (None when none of its games was rated). A match
    of a cancelled tournament is not played again: it is failed, its result revoked."""
    first_change = session.scalar(select(func.min(RatingChange.id)).where(RatingChange.match_id == match.id))
    game_ids = select(Game.id).where(Game.match_id == match.id).scalar_subquery()
    session.execute(delete(GameRecord).where(GameRecord.game_id.in_(game_ids)))
    session.execute(delete(RatingChange).where(RatingChange.match_id == match.id))
    session.execute(update(Game).where(Game.match_id == match.id).values(
        winner=None, length=None, end_reason=None, forfeit_side=None, played_at=None, rated=False),
        execution_options={"synchronize_session": "fetch"})
    _delete_checks(session, [match.id])
    match.state, match.attempts, match.deliveries, match.error = "queued", 0, 0, ""
    match.worker = match.lease_id = match.lease_token_id = match.lease_expires_at = None
    match.result_digest = match.started_at = match.finished_at = match.check_state = None
    if match.tournament_id is not None and session.get_one(Tournament, match.tournament_id).state == "cancelled":
        match.state, match.error = "failed", "its result was revoked and its tournament is cancelled"
    if first_change is not None and recompute:
        recompute_ratings(session, since=first_change)
    return first_change


def catch_worker(session: Session, token_id: int, now: datetime, reason: str, *, since: int | None = None) -> int:
    """A worker (its token) reported games that do not reproduce: revoke the token, play every match
    it reported again, recompute the ratings from the first of their games on (or from `since`, a
    rating-history id, if earlier: a match the caller re-opened), and say so in the audit log.
    Returns how many matches were re-opened."""
    token = session.get_one(ApiToken, token_id, with_for_update=True)
    if token.revoked_at is None:
        token.revoked_at = now
    reported = list(session.scalars(select(Match).where(
        Match.lease_token_id == token_id, Match.state == "done", Match.verifies_match_id.is_(None))
        .order_by(Match.id).with_for_update()))
    # its checks of other matches prove nothing: the matches they confirmed stay confirmed by the
    # replay of their records, and a check still open of its results is deleted with them
    firsts = [reopen_match(session, match, recompute=False) for match in reported]
    rated = [first for first in [*firsts, since] if first is not None]
    if rated:
        recompute_ratings(session, since=min(rated))
    session.add(AuditEntry(user_id=token.user_id, token_id=token.id, role=SERVER_ROLE, status=200,
                           action=f"catch worker {token.name!r}"[:300],
                           detail=f"{reason}; its token is revoked, results of it played again: {len(reported)}; "
                                  "every rating is recomputed"[:2000]))
    return len(reported)


def recompute_ratings(session: Session, since: int | None = None) -> int:
    """Every rating, count, head-to-head record and rating history entry again from the rated games
    alone, in the order they were rated (their first rating-history row; a game without one, from
    before the history was kept, by when it was played), inside the caller's write transaction with
    every rating row locked in id order. With `since` (a rating-history id), the games rated before
    it keep their history and skills (restored from their last history rows) and are only counted;
    the games from it on are rated again. Returns the number of games rated again."""
    ratings = {r.snapshot_id: r for r in session.scalars(
        select(Rating).order_by(Rating.snapshot_id).with_for_update().execution_options(populate_existing=True))}
    order = select(RatingChange.game_id, func.min(RatingChange.id).label("first")).group_by(
        RatingChange.game_id).subquery()
    rated = select(Game, Match).join(Match, Match.id == Game.match_id).outerjoin(
        order, order.c.game_id == Game.id).where(Game.rated)
    kept: Sequence[Any] = []  # the games rated before `since`, as plain rows: only counted
    if since is not None:
        kept = session.execute(
            select(Match.snapshot_a_id, Match.snapshot_b_id, Game.a_is_player_one, Game.winner, Game.end_reason,
                   Game.forfeit_side, Game.played_at).join(Match, Match.id == Game.match_id)
            .join(order, order.c.game_id == Game.id).where(Game.rated, order.c.first < since)).all()
        rated = rated.where(or_(order.c.first.is_(None), order.c.first >= since))
    again = session.execute(rated.order_by(order.c.first.is_(None), order.c.first, Game.played_at, Match.id,
                                           Game.index)).all()
    start = initial_skill()
    skills = {} if since is None else _skills_before(session, since)
    for snapshot_id, rating in ratings.items():
        rating.mu, rating.sigma = skills.get(snapshot_id, (start.mu, start.sigma))
        rating.games = rating.wins = rating.draws = rating.losses = rating.forfeits = 0
        rating.last_played_at = None
    session.execute(delete(RatingChange) if since is None else delete(RatingChange).where(RatingChange.id >= since))
    session.execute(delete(PairStats), execution_options={"synchronize_session": "fetch"})
    pairs: dict[tuple[int, int], PairStats] = {}

    def pair_of(a_id: int, b_id: int) -> PairStats:
        low, high = sorted((a_id, b_id))
        if (low, high) not in pairs:
            pairs[(low, high)] = PairStats(low_id=low, high_id=high, games=0, low_wins=0, draws=0, high_wins=0)
        return pairs[(low, high)]

    for a_id, b_id, a_is_one, winner, end_reason, forfeit_side, played_at in kept:
        count_game(ratings[a_id], ratings[b_id], pair_of(a_id, b_id), winner if a_is_one else -winner, a_is_one,
                   end_reason, forfeit_side, played_at or utcnow())
    changes: list[dict] = []
    for game, match in again:
        changes.extend(apply_game(game, match, ratings, pair_of(match.snapshot_a_id, match.snapshot_b_id),
                                  game.played_at or utcnow()))
    session.add_all(pairs.values())
    for start_at in range(0, len(changes), 5000):
        session.execute(insert(RatingChange), changes[start_at:start_at + 5000])
    return len(again)


def _skills_before(session: Session, since: int) -> dict[int, tuple[float, float]]:
    """Each snapshot's skill after its last rating-history row before `since`."""
    last = select(RatingChange.snapshot_id, func.max(RatingChange.id).label("id")).where(
        RatingChange.id < since).group_by(RatingChange.snapshot_id).subquery()
    rows = session.execute(select(RatingChange.snapshot_id, RatingChange.mu_after, RatingChange.sigma_after)
                           .join(last, last.c.id == RatingChange.id))
    return {snapshot_id: (mu, sigma) for snapshot_id, mu, sigma in rows}
