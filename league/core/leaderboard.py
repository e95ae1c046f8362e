"""Reading ratings: the leaderboard, a snapshot's rating history and head-to-head counts.

All of it reads aggregates that are kept up to date when results are recorded (`ratings`,
`rating_changes`, `pair_stats`), so no query here scans the games.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from league.core.errors import InvalidInput, NotFound
from league.core.models import Agent, PairStats, Rating, RatingChange, Snapshot
from league.core.rating import PROVISIONAL_SIGMA
from league.core.schemas import HeadToHead, LeaderboardRow, RatingChangeInfo
from league.core.snapshots import load_snapshot

SCORE = Rating.mu - 3 * Rating.sigma


def _board_query(include_retired: bool):
    query = (
        select(Snapshot.id, Snapshot.name, Agent.name, Agent.id, Snapshot.kind, Snapshot.active, Rating)
        .join(Rating, Rating.snapshot_id == Snapshot.id)
        .join(Agent, Agent.id == Snapshot.agent_id)
    )
    return query if include_retired else query.where(Snapshot.active)


def _row(rank: int, columns) -> LeaderboardRow:
    snapshot_id, name, agent, agent_id, kind, active, rating = columns
    return LeaderboardRow(
        rank=rank, snapshot_id=snapshot_id, name=name, agent=agent, agent_id=agent_id, kind=kind, mu=rating.mu,
        sigma=rating.sigma, score=rating.mu - 3 * rating.sigma, games=rating.games, wins=rating.wins,
        draws=rating.draws, losses=rating.losses, forfeits=rating.forfeits,
        provisional=rating.sigma > PROVISIONAL_SIGMA, active=active, last_played_at=rating.last_played_at,
    )


def leaderboard(session: Session, *, include_retired: bool = False) -> list[LeaderboardRow]:
    """Every (active) pool member ranked by `mu - 3 * sigma`, best first; ties by id."""
    query = _board_query(include_retired).order_by(SCORE.desc(), Snapshot.id)
    return [_row(rank, columns) for rank, columns in enumerate(session.execute(query), start=1)]


def leaderboard_row(session: Session, snapshot_id: int) -> LeaderboardRow:
    """One snapshot's leaderboard line without building the board (two narrow queries).

    `rank` is its place among the active snapshots, as on `leaderboard(session)`; for a
    retired snapshot, the place it would take if it were active. `NotFound` for an unknown id.
    """
    columns = session.execute(_board_query(True).where(Snapshot.id == snapshot_id)).one_or_none()
    if columns is None:
        raise NotFound(f"no snapshot with id {snapshot_id}")
    score = select(SCORE).where(Rating.snapshot_id == snapshot_id).scalar_subquery()
    ahead = session.scalar(
        select(func.count()).select_from(Snapshot).join(Rating, Rating.snapshot_id == Snapshot.id)
        .where(Snapshot.active, Snapshot.id != snapshot_id,
               or_(SCORE > score, and_(SCORE == score, Snapshot.id < snapshot_id)))
    )
    return _row(ahead + 1, columns)


def rating_history(session: Session, snapshot_id: int, *, since_id: int = 0, limit: int = 10_000
                   ) -> list[RatingChangeInfo]:
    """A snapshot's rating changes after change `since_id`, oldest first, at most `limit`.

    Page through a long history by passing the last change's `id` as `since_id`. Raises
    `NotFound` for an unknown snapshot, `InvalidInput` for a limit outside 1 to 100000.
    """
    load_snapshot(session, snapshot_id)
    if not 1 <= limit <= 100_000:
        raise InvalidInput(f"limit must be between 1 and 100000, got {limit}")
    rows = session.scalars(
        select(RatingChange).where(RatingChange.snapshot_id == snapshot_id, RatingChange.id > since_id)
        .order_by(RatingChange.id).limit(limit)
    )
    return [
        RatingChangeInfo(id=r.id, match_id=r.match_id, game_id=r.game_id, mu_before=r.mu_before, sigma_before=r.sigma_before,
                         mu_after=r.mu_after, sigma_after=r.sigma_after, created_at=r.created_at)
        for r in rows
    ]


def _to_head_to_head(row: PairStats) -> HeadToHead:
    return HeadToHead(snapshot_a_id=row.low_id, snapshot_b_id=row.high_id, games=row.games, a_wins=row.low_wins,
                      draws=row.draws, b_wins=row.high_wins, last_played_at=row.last_played_at)


PairCounts = tuple[int, int, int, int, int, int, datetime | None]
"""One `pair_stats` row as it is stored: (low_id, high_id, games, low_wins, draws, high_wins, last_played_at)."""


class HeadToHeadMatrix(NamedTuple):
    """Active snapshots in leaderboard order (`ids`, `names`) and the raw counts of the pairs among
    them that have played: `pairs` holds (low_id, high_id, low_wins, draws, high_wins) tuples."""

    ids: list[int]
    names: list[str]
    pairs: list[tuple[int, int, int, int, int]]


def pair_counts(session: Session, snapshot_id: int | None = None) -> list[PairCounts]:
    """Raw head-to-head rows of every pair that has played (or only the pairs with `snapshot_id`).

    One narrow query and no objects per row: the light read behind the head-to-head listing
    and matrix. `NotFound` for an unknown `snapshot_id`.
    """
    query = (select(PairStats.low_id, PairStats.high_id, PairStats.games, PairStats.low_wins, PairStats.draws,
                    PairStats.high_wins, PairStats.last_played_at)
             .where(PairStats.games > 0).order_by(PairStats.low_id, PairStats.high_id))
    if snapshot_id is not None:
        load_snapshot(session, snapshot_id)
        query = query.where(or_(PairStats.low_id == snapshot_id, PairStats.high_id == snapshot_id))
    return [tuple(row) for row in session.execute(query)]


def head_to_head_matrix(session: Session) -> HeadToHeadMatrix:
    """The head-to-head matrix of the active pool: snapshots in rank order and their pairs' raw counts."""
    board = session.execute(
        select(Snapshot.id, Snapshot.name).join(Rating, Rating.snapshot_id == Snapshot.id)
        .where(Snapshot.active).order_by(SCORE.desc(), Snapshot.id)
    ).all()
    active = {snapshot_id for snapshot_id, _ in board}
    counts = session.execute(select(PairStats.low_id, PairStats.high_id, PairStats.low_wins, PairStats.draws,
                                    PairStats.high_wins).where(PairStats.games > 0))
    pairs = [tuple(row) for row in counts if row[0] in active and row[1] in active]
    return HeadToHeadMatrix(ids=[row[0] for row in board], names=[row[1] for row in board], pairs=pairs)


def head_to_head(session: Session, snapshot_id: int | None = None) -> list[HeadToHead]:
    """Head-to-head counts of every pair that has played (or only the pairs with `snapshot_id`)."""
    fields = ("snapshot_a_id", "snapshot_b_id", "games", "a_wins", "draws", "b_wins", "last_played_at")
    # Trusted values straight from the table: skip per-row validation (thousands of pairs).
    return [HeadToHead.model_construct(**dict(zip(fields, row, strict=True)))
            for row in pair_counts(session, snapshot_id)]


def pair_record(session: Session, a_id: int, b_id: int) -> HeadToHead:
    """Results between `a_id` and `b_id`, counted from `a_id`'s side (zeros if they never played)."""
    low, high = sorted((a_id, b_id))
    row = session.get(PairStats, (low, high))
    h2h = _to_head_to_head(row) if row else HeadToHead(snapshot_a_id=low, snapshot_b_id=high, games=0, a_wins=0,
                                                        draws=0, b_wins=0, last_played_at=None)
    if a_id == low:
        return h2h
    return HeadToHead(snapshot_a_id=a_id, snapshot_b_id=b_id, games=h2h.games, a_wins=h2h.b_wins, draws=h2h.draws,
                      b_wins=h2h.a_wins, last_played_at=h2h.last_played_at)
