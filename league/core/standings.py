"""One snapshot's standing and record: its rating and rank, its rating after every game, its latest
matches and its results against every snapshot it has played; two snapshots side by side; several
snapshots' rating series for one chart; and the names of all snapshots.

Each read is a fixed, small number of queries whatever the league's size: results per pair come
from the `pair_stats` aggregate, ranks from `league.core.leaderboard.rank_by_id`, scores from
`league.core.rating.conservative_score`.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from league.core.errors import InvalidInput, NotFound
from league.core.leaderboard import pair_record, rank_by_id
from league.core.models import Agent, Game, Match, PairStats, Rating, RatingChange, Snapshot, User
from league.core.rating import PROVISIONAL_SIGMA, conservative_score
from league.core.read_schemas import (
    NamedRatingSeries,
    OpponentDetail,
    PairStanding,
    RatingSeries,
    RecentMatch,
    SnapshotName,
    SnapshotStanding,
    VersusRecord,
)
from league.core.snapshots import load_snapshot

RECENT_MATCHES = 20


def standing_select():
    """Snapshots with their lineage and rating columns: the rows `to_standing` reads."""
    return (
        select(Snapshot.id, Snapshot.name, Snapshot.kind, Snapshot.agent_id, Agent.name.label("agent"),
               User.name.label("owner"), Snapshot.step, Snapshot.created_at, Rating.mu, Rating.sigma, Rating.games, Rating.wins,
               Rating.draws, Rating.losses, Rating.last_played_at)
        .join(Agent, Agent.id == Snapshot.agent_id)
        .join(User, User.id == Agent.owner_id)
        .join(Rating, Rating.snapshot_id == Snapshot.id)
    )


def to_standing(row, rank: int | None) -> SnapshotStanding:
    """The standing of a `standing_select` row, at `rank`."""
    return SnapshotStanding(
        id=row.id, name=row.name, kind=row.kind, agent_id=row.agent_id, agent=row.agent, owner=row.owner,
        step=row.step,
        created_at=row.created_at, rank=rank, mu=row.mu, sigma=row.sigma, score=conservative_score(row.mu, row.sigma),
        games=row.games, wins=row.wins, draws=row.draws, losses=row.losses,
        provisional=row.sigma > PROVISIONAL_SIGMA, last_played_at=row.last_played_at,
    )


def lineage_standings(session: Session, agent_id: int) -> list[SnapshotStanding]:
    """Every snapshot of lineage `agent_id` with its standing, latest step first (two queries)."""
    ranks = rank_by_id(session)
    rows = session.execute(standing_select().where(Snapshot.agent_id == agent_id)
                           .order_by(Snapshot.step.desc(), Snapshot.id.desc()))
    return [to_standing(row, ranks.get(row.id)) for row in rows]


def opponent_detail(session: Session, snapshot_id: int) -> OpponentDetail:
    """A snapshot's standing, config and weights facts; `NotFound` for an unknown id."""
    row = session.execute(
        standing_select().where(Snapshot.id == snapshot_id)
        .add_columns(Snapshot.config, Snapshot.weights_sha256, Snapshot.weights_size)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no snapshot with id {snapshot_id}")
    standing = to_standing(row, rank_by_id(session).get(snapshot_id))
    return OpponentDetail(**standing.model_dump(), config=row.config or {}, sha256=row.weights_sha256,
                          weights_size=row.weights_size)


def _change_rows(session: Session, snapshot_ids: list[int]):
    """The rating changes of `snapshot_ids`, by snapshot and then oldest first (one narrow query on
    the (snapshot_id, id) index)."""
    return session.execute(
        select(RatingChange.snapshot_id, RatingChange.match_id, RatingChange.mu_before, RatingChange.sigma_before,
               RatingChange.mu_after, RatingChange.sigma_after, RatingChange.created_at)
        .where(RatingChange.snapshot_id.in_(snapshot_ids)).order_by(RatingChange.snapshot_id, RatingChange.id)
    ).all()


def _series(changes) -> RatingSeries:
    """A rating series from one snapshot's change rows, oldest first (its first 100,000, as
    `league.core.leaderboard.rating_history` pages them; trusted values, not validated per point)."""
    changes = changes[:100_000]
    if not changes:
        return RatingSeries.model_construct(games=[], time=[], mu=[], sigma=[], match=[])
    first = changes[0]
    return RatingSeries.model_construct(
        games=list(range(len(changes) + 1)),
        time=[first.created_at.timestamp()] + [change.created_at.timestamp() for change in changes],
        mu=[first.mu_before] + [change.mu_after for change in changes],
        sigma=[first.sigma_before] + [change.sigma_after for change in changes],
        match=[None] + [change.match_id for change in changes],
    )


def rating_series(session: Session, snapshot_id: int) -> RatingSeries:
    """mu and sigma after each rated game of a snapshot, from its prior on; `NotFound` for an unknown id
    (two queries)."""
    load_snapshot(session, snapshot_id)
    return _series(_change_rows(session, [snapshot_id]))


def rating_comparison(session: Session, snapshot_ids: list[int]) -> list[NamedRatingSeries]:
    """The rating series (`rating_series`) of several snapshots in the order given, each once;
    `NotFound` naming the first unknown id. Two queries, whatever the number of snapshots."""
    wanted = list(dict.fromkeys(snapshot_ids))
    names = dict(session.execute(select(Snapshot.id, Snapshot.name).where(Snapshot.id.in_(wanted))).all())
    missing = [i for i in wanted if i not in names]
    if missing:
        raise NotFound(f"no snapshot with id {missing[0]}")
    changes: dict[int, list] = {i: [] for i in wanted}
    for row in _change_rows(session, wanted) if wanted else []:
        changes[row.snapshot_id].append(row)
    return [NamedRatingSeries(id=i, name=names[i], series=_series(changes[i])) for i in wanted]


def pair_standing(session: Session, a_id: int, b_id: int) -> PairStanding:
    """Snapshots `a_id` and `b_id` side by side, with their results against each other from a's side
    (three queries); `NotFound` for an unknown id, `InvalidInput` when both are the same."""
    if a_id == b_id:
        raise InvalidInput(f"a pair needs two snapshots, got {a_id} twice")
    rows = {row.id: row for row in session.execute(standing_select().where(Snapshot.id.in_((a_id, b_id))))}
    for ident in (a_id, b_id):
        if ident not in rows:
            raise NotFound(f"no snapshot with id {ident}")
    ranks = rank_by_id(session)
    record = pair_record(session, a_id, b_id)
    return PairStanding(
        a=to_standing(rows[a_id], ranks.get(a_id)), b=to_standing(rows[b_id], ranks.get(b_id)), games=record.games,
        a_wins=record.a_wins, draws=record.draws, b_wins=record.b_wins,
        score=(record.a_wins + record.draws / 2) / record.games if record.games else None,
        last_played_at=record.last_played_at,
    )


def _score_change_by_match(series: RatingSeries) -> dict[int, float]:
    """Change of the score over each match, from the rating series."""
    changes: dict[int, float] = {}
    for k in range(1, len(series.mu)):
        match_id = series.match[k]
        if match_id is None:  # only the prior has no match
            continue
        step = (conservative_score(series.mu[k], series.sigma[k])
                - conservative_score(series.mu[k - 1], series.sigma[k - 1]))
        changes[match_id] = changes.get(match_id, 0.0) + step
    return changes


def recent_matches(session: Session, snapshot_id: int, series: RatingSeries, *, limit: int = RECENT_MATCHES
                   ) -> list[RecentMatch]:
    """The snapshot's latest `limit` matches, newest first, with W/D/L from its side (two queries);
    score changes come from its rating `series` (`rating_series`)."""
    other = aliased(Snapshot)
    is_a = Match.snapshot_a_id == snapshot_id
    matches = session.execute(
        select(Match.id, Match.state, Match.finished_at, is_a.label("is_a"), other.id.label("other_id"),
               other.name.label("other_name"))
        .join(other, other.id == case((is_a, Match.snapshot_b_id), else_=Match.snapshot_a_id))
        .where(or_(Match.snapshot_a_id == snapshot_id, Match.snapshot_b_id == snapshot_id),
               Match.verifies_match_id.is_(None))
        .order_by(Match.id.desc()).limit(limit)
    ).all()
    if not matches:
        return []
    # Results from player one's view; this snapshot is player one when it is `a` and a is player one.
    mine_one = Game.a_is_player_one == case((Match.snapshot_a_id == snapshot_id, True), else_=False)
    won = or_(and_(mine_one, Game.winner == 1), and_(~mine_one, Game.winner == -1))
    lost = or_(and_(mine_one, Game.winner == -1), and_(~mine_one, Game.winner == 1))
    counts = {
        row.match_id: row for row in session.execute(
            select(Game.match_id, func.count().filter(won).label("wins"),
                   func.count().filter(Game.winner == 0).label("draws"), func.count().filter(lost).label("losses"))
            .join(Match, Match.id == Game.match_id)
            .where(Game.match_id.in_([m.id for m in matches])).group_by(Game.match_id)
        )
    }
    changes = _score_change_by_match(series)
    result = []
    for m in matches:
        c = counts.get(m.id)
        result.append(RecentMatch(
            id=m.id, state=m.state, finished_at=m.finished_at, other_id=m.other_id, other_name=m.other_name,
            wins=c.wins if c else 0, draws=c.draws if c else 0, losses=c.losses if c else 0,
            score_change=changes.get(m.id),
        ))
    return result


def versus(session: Session, snapshot_id: int) -> list[VersusRecord]:
    """Results against every snapshot this one has played, best-ranked first, retired ones last (two queries)."""
    ranks = rank_by_id(session)
    rows = session.execute(
        select(PairStats.low_id, PairStats.high_id, PairStats.games, PairStats.low_wins, PairStats.draws,
               PairStats.high_wins, Snapshot.name)
        .join(Snapshot, Snapshot.id == case((PairStats.low_id == snapshot_id, PairStats.high_id),
                                            else_=PairStats.low_id))
        .where(or_(PairStats.low_id == snapshot_id, PairStats.high_id == snapshot_id), PairStats.games > 0)
    ).all()
    result = []
    for r in rows:
        mine_low = r.low_id == snapshot_id
        wins, losses = (r.low_wins, r.high_wins) if mine_low else (r.high_wins, r.low_wins)
        other_id = r.high_id if mine_low else r.low_id
        result.append(VersusRecord(other_id=other_id, other_name=r.name, other_rank=ranks.get(other_id),
                                   games=r.games, wins=wins, draws=r.draws, losses=losses,
                                   score=(wins + r.draws / 2) / r.games))
    result.sort(key=lambda v: (v.other_rank is None, v.other_rank or 0, v.other_id))
    return result


def snapshot_names(session: Session) -> list[SnapshotName]:
    """Every snapshot's id and name, by name (one query)."""
    rows = session.execute(select(Snapshot.id, Snapshot.name).order_by(Snapshot.name, Snapshot.id))
    return [SnapshotName(id=r.id, name=r.name) for r in rows]
