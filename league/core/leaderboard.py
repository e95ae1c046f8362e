"""Reading ratings: the leaderboard and its ranks, a snapshot's rating history, head-to-head counts.

All of it reads aggregates that are kept up to date when results are recorded (`ratings`,
`rating_changes`, `pair_stats`), so no query here scans the games. A snapshot's rank is its
place among the active snapshots in `RANK_ORDER` (best `conservative_score` first, ties by id);
every rank the league shows comes from here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from league.core.errors import InvalidInput, NotFound
from league.core.models import Agent, PairStats, Rating, RatingChange, Snapshot, User
from league.core.rating import PROVISIONAL_SIGMA, conservative_score
from league.core.read_schemas import HeadToHeadMatrix
from league.core.schemas import HeadToHead, LeaderboardRow, RatingChangeInfo
from league.core.snapshots import load_snapshot

SCORE = conservative_score(Rating.mu, Rating.sigma)
RANK_ORDER = (SCORE.desc(), Snapshot.id)
"""The leaderboard's order: best score first, ties by snapshot id."""


def _ahead_of(score, snapshot_id: int):
    """Snapshots that come before one with `score` and `snapshot_id` in `RANK_ORDER`."""
    return or_(SCORE > score, and_(SCORE == score, Snapshot.id < snapshot_id))


def _board_query(include_retired: bool):
    query = (
        select(Snapshot.id, Snapshot.name, Agent.name, Agent.id, User.name, Snapshot.kind, Snapshot.active, Rating)
        .join(Rating, Rating.snapshot_id == Snapshot.id)
        .join(Agent, Agent.id == Snapshot.agent_id)
        .join(User, User.id == Agent.owner_id)
    )
    return query if include_retired else query.where(Snapshot.active)


def _row(rank: int, columns) -> LeaderboardRow:
    snapshot_id, name, agent, agent_id, owner, kind, active, rating = columns
    return LeaderboardRow(
        rank=rank, snapshot_id=snapshot_id, name=name, agent=agent, agent_id=agent_id, owner=owner, kind=kind,
        mu=rating.mu,
        sigma=rating.sigma, score=conservative_score(rating.mu, rating.sigma), games=rating.games, wins=rating.wins,
        draws=rating.draws, losses=rating.losses, forfeits=rating.forfeits,
        provisional=rating.sigma > PROVISIONAL_SIGMA, active=active, last_played_at=rating.last_played_at,
    )


def leaderboard(session: Session, *, include_retired: bool = False) -> list[LeaderboardRow]:
    """The active pool members in `RANK_ORDER`, ranked from 1 (with `include_retired`, retired ones
    are listed and numbered among them)."""
    query = _board_query(include_retired).order_by(*RANK_ORDER)
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
        .where(Snapshot.active, Snapshot.id != snapshot_id, _ahead_of(score, snapshot_id))
    )
    return _row((ahead or 0) + 1, columns)


def rank_by_id(session: Session) -> dict[int, int]:
    """The leaderboard rank of every active snapshot, by id (one narrow query); retired ones have none."""
    ids = session.scalars(
        select(Snapshot.id).join(Rating, Rating.snapshot_id == Snapshot.id).where(Snapshot.active)
        .order_by(*RANK_ORDER)
    )
    return {snapshot_id: rank for rank, snapshot_id in enumerate(ids, start=1)}


def leaderboard_token(session: Session) -> str:
    """A short token that changes whenever the leaderboard can have changed (ratings or the pool)."""
    last_change = session.scalar(select(func.max(RatingChange.id))) or 0
    pool = session.execute(
        select(func.count(), func.max(Snapshot.id)).select_from(Snapshot).where(Snapshot.active.is_(True))
    ).one()
    return f"{last_change}-{pool[0]}-{pool[1] or 0}"


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
    return list(session.execute(query).tuples())


def head_to_head_matrix(session: Session) -> HeadToHeadMatrix:
    """The head-to-head matrix of the active pool: snapshots in `RANK_ORDER` and the counts of the pairs
    among them that have played, each pair once, from its better-ranked side (two queries)."""
    board = session.execute(
        select(Snapshot.id, Snapshot.name).join(Rating, Rating.snapshot_id == Snapshot.id)
        .where(Snapshot.active).order_by(*RANK_ORDER)
    ).all()
    index = {snapshot_id: i for i, (snapshot_id, _) in enumerate(board)}
    counts = session.execute(select(PairStats.low_id, PairStats.high_id, PairStats.low_wins, PairStats.draws,
                                    PairStats.high_wins).where(PairStats.games > 0))
    cells = []
    for low, high, low_wins, draws, high_wins in counts:
        i, j = index.get(low), index.get(high)
        if i is None or j is None:
            continue
        cells.append((i, j, low_wins, draws, high_wins) if i < j else (j, i, high_wins, draws, low_wins))
    # Trusted values straight from the tables: no validation per cell (a large league has thousands).
    return HeadToHeadMatrix.model_construct(ids=[row[0] for row in board], names=[row[1] for row in board],
                                            cells=cells)


def head_to_head(session: Session, snapshot_id: int | None = None) -> list[HeadToHead]:
    """Head-to-head counts of every pair that has played (or only the pairs with `snapshot_id`)."""
    # Trusted values straight from the table: skip per-row validation (thousands of pairs).
    return [HeadToHead.model_construct(snapshot_a_id=a, snapshot_b_id=b, games=games, a_wins=a_wins, draws=draws,
                                       b_wins=b_wins, last_played_at=last)
            for a, b, games, a_wins, draws, b_wins, last in pair_counts(session, snapshot_id)]


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
