"""Helpers for the league core's tests: register snapshots, build results, dump the database."""

from __future__ import annotations

import itertools
from functools import cache

from sqlalchemy import select, text

from agents.checkpoint import expected_tensor_specs
from league.core.models import Base
from league.core.registration import register_snapshot
from league.core.schemas import JobAssignment, MatchResult
from tests.support.app_client import debug_config, weights_for
from tests.support.played_games import played_report

# The smallest valid agent config (every layer one unit wide): its weights are a few KiB.
TINY_CONFIG = {**debug_config(), "hidden": 1, "latent": 1, "recurrent": 1, "mlp_layers": 1}
_SEEDS = itertools.count(1)


@cache
def _tiny_specs() -> dict:
    return expected_tensor_specs(TINY_CONFIG)


def tiny_weights(seed: int | None = None) -> bytes:
    """Valid dreamer weights for `TINY_CONFIG`; different on every call unless `seed` is given."""
    return weights_for(TINY_CONFIG, seed=next(_SEEDS) if seed is None else seed, specs=_tiny_specs())


def add_dreamer(session, agent: str = "run", step: int = 0):
    """A registered dreamer snapshot of `TINY_CONFIG` with random (valid) weights."""
    return register_snapshot(session, agent=agent, config=TINY_CONFIG, step=step, weights=tiny_weights()).snapshot


def result_for(job: JobAssignment, a_outcomes: list[int]) -> MatchResult:
    """A match result where snapshot a's outcome in game i is `a_outcomes[i]` (+1, 0, -1): really
    played games with their records (`tests.support.played_games`), as the server replays them."""
    games = []
    for game, outcome in zip(job.games, a_outcomes, strict=True):
        winner = outcome if game.a_is_player_one else -outcome
        games.append(played_report(game.index, game.seed, game.one_starting, winner))
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
