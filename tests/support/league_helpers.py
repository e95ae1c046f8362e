"""Helpers for the league core's tests: register snapshots, build results, dump the database."""

from __future__ import annotations

import os

from sqlalchemy import select, text

from league.core.models import Base
from league.core.schemas import JobAssignment, MatchResult
from league.core.snapshots import register_snapshot


def add_dreamer(session, agent: str = "run", step: int = 0):
    """A registered dreamer snapshot with random weights bytes."""
    return register_snapshot(session, agent=agent, config={"size": "debug"}, step=step,
                             weights=os.urandom(64)).snapshot


def result_for(job: JobAssignment, a_outcomes: list[int], *, lengths: int = 100) -> MatchResult:
    """A match result where snapshot a's outcome in game i is `a_outcomes[i]` (+1, 0, -1)."""
    games = []
    for game, outcome in zip(job.games, a_outcomes, strict=True):
        winner = outcome if game.a_is_player_one else -outcome
        games.append({"index": game.index, "winner": winner, "length": lengths,
                      "end_reason": "time_limit" if winner == 0 else "goal"})
    return MatchResult.model_validate({"games": games})


def dump_database(session) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: to assert that nothing changed."""
    session.rollback()
    tables = {}
    for name, table in Base.metadata.tables.items():
        tables[name] = [tuple(row) for row in session.execute(select(table).order_by(*table.primary_key.columns))]
    tables["_alembic"] = list(session.execute(text("SELECT version_num FROM alembic_version")))
    session.rollback()
    return tables
