"""The pairs' head-to-head counts as the planner weighs them (`league.core.pairing.PairRecord`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from league.core.models import PairStats
from league.core.pairing import PairRecord


def head_to_head_records(session: Session) -> dict[tuple[int, int], PairRecord]:
    """Every played pair's games and draws, by (lower id, higher id): one query over `pair_stats`."""
    rows = session.execute(select(PairStats.low_id, PairStats.high_id, PairStats.games, PairStats.draws))
    return {(low, high): PairRecord(games=games, draws=draws) for low, high, games, draws in rows}
