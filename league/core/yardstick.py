"""The course's own yardstick beside the rating: each snapshot's results against the basic opponents.

The course grades agents by their win / draw / loss shares against the game's weak and strong basic
opponents; the leaderboard, opponent and agent pages show them next to the TrueSkill rating, which
ranks against the whole pool. Read from the `pair_stats` aggregate in two queries, whatever the
league's size.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from league.core.kinds import BUILTIN_KINDS
from league.core.models import PairStats, Snapshot


class BasicRecord(BaseModel):
    """Games of a snapshot against one basic opponent, from the snapshot's side."""

    games: int
    wins: int
    draws: int
    losses: int

    def share(self, count: int) -> float:
        return count / self.games if self.games else 0.0

    @property
    def win_share(self) -> float:
        return self.share(self.wins)

    @property
    def draw_share(self) -> float:
        return self.share(self.draws)

    @property
    def loss_share(self) -> float:
        return self.share(self.losses)


class Yardstick(BaseModel):
    """A snapshot's records against the weak and the strong basic opponent (None: none played yet)."""

    basic_weak: BasicRecord | None = None
    basic_strong: BasicRecord | None = None


def basic_records(session: Session, snapshot_ids: list[int] | None = None) -> dict[int, Yardstick]:
    """Each snapshot's (of `snapshot_ids`, or all) records against the basic opponents, by snapshot id;
    a snapshot that has not played one has no entry (or a None record)."""
    basics = dict(session.execute(select(Snapshot.id, Snapshot.kind).where(Snapshot.kind.in_(BUILTIN_KINDS))).all())
    if not basics:
        return {}
    query = select(PairStats).where(or_(PairStats.low_id.in_(basics), PairStats.high_id.in_(basics)))
    if snapshot_ids is not None:
        query = query.where(or_(PairStats.low_id.in_(snapshot_ids), PairStats.high_id.in_(snapshot_ids)))
    found: dict[int, Yardstick] = {}
    for row in session.scalars(query):
        for own, other, wins, losses in ((row.low_id, row.high_id, row.low_wins, row.high_wins),
                                         (row.high_id, row.low_id, row.high_wins, row.low_wins)):
            if other in basics and (snapshot_ids is None or own in snapshot_ids):
                record = BasicRecord(games=row.games, wins=wins, draws=row.draws, losses=losses)
                setattr(found.setdefault(own, Yardstick()), basics[other], record)
    return found
