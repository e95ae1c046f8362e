"""Read-only queries behind the dashboard pages, each page in a fixed, small number of queries.

Every function takes a SQLAlchemy `Session` and returns plain dicts and lists ready for the
templates. Nothing here writes. The aggregates the pages show (ratings with result counts,
head-to-head counts per pair) are kept up to date by the league core as games are rated, so
no page counts games row by row: the leaderboard is one query, the head-to-head matrix two.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from league.core.jobs import job_counts, workers_seen
from league.core.leaderboard import head_to_head_matrix
from league.core.leaderboard import leaderboard as core_leaderboard
from league.core.leaderboard import rating_history as core_rating_history
from league.core.matches import decompress_record
from league.core.models import (
    Agent,
    Game,
    GameRecord,
    Match,
    PairStats,
    Rating,
    RatingChange,
    Snapshot,
    TrainingMetric,
)
from league.core.rating import MU, PROVISIONAL_SIGMA, SIGMA

MAX_CURVE_POINTS = 2000  # per training metric: longer curves are thinned evenly
RECENT_MATCHES = 20


def _score(mu: float, sigma: float) -> float:
    return mu - 3 * sigma


def _snapshot_select():
    """Snapshots with lineage and rating columns, best conservative rating first."""
    score = (Rating.mu - 3 * Rating.sigma).label("score")
    return (
        select(Snapshot.id, Snapshot.name, Snapshot.kind, Snapshot.agent_id, Snapshot.step, Snapshot.created_at,
               Agent.name.label("lineage"), Rating.mu, Rating.sigma, score, Rating.games, Rating.wins,
               Rating.draws, Rating.losses, Rating.last_played_at)
        .join(Agent, Agent.id == Snapshot.agent_id)
        .outerjoin(Rating, Rating.snapshot_id == Snapshot.id)
        .order_by(score.desc().nulls_last(), Snapshot.id)
    )


def _row_dict(row, rank: int) -> dict[str, Any]:
    mu = MU if row.mu is None else row.mu
    sigma = SIGMA if row.sigma is None else row.sigma
    last = row.last_played_at
    return {
        "rank": rank, "id": row.id, "name": row.name, "kind": row.kind, "agent_id": row.agent_id,
        "lineage": row.lineage, "step": row.step, "created_at": row.created_at,
        "mu": mu, "sigma": sigma, "rating": _score(mu, sigma),
        "games": row.games or 0, "wins": row.wins or 0, "draws": row.draws or 0, "losses": row.losses or 0,
        "provisional": sigma > PROVISIONAL_SIGMA,
        "last_played": last, "last_played_ts": int(last.timestamp()) if last else None,
    }


def leaderboard(session: Session) -> list[dict[str, Any]]:
    """Active snapshots by conservative rating (`mu - 3 sigma`), best first, with bar positions.

    Rows come from the league core's `league.core.leaderboard.leaderboard`. `bar` places
    mu - 3 sigma (`lo`), mu and mu + 3 sigma on one 0-100 scale shared by all rows.
    """
    rows = []
    for r in core_leaderboard(session):
        last = r.last_played_at
        rows.append({
            "rank": r.rank, "id": r.snapshot_id, "name": r.name, "kind": r.kind, "lineage": r.agent,
            "agent_id": r.agent_id, "mu": r.mu, "sigma": r.sigma, "rating": r.score,
            "games": r.games, "wins": r.wins, "draws": r.draws, "losses": r.losses,
            "provisional": r.provisional, "last_played": last,
            "last_played_ts": int(last.timestamp()) if last else None,
        })
    if rows:
        low = min(r["rating"] for r in rows)
        high = max(r["mu"] + 3 * r["sigma"] for r in rows)
        span = max(high - low, 1e-9)
        for r in rows:
            lo = 100 * (r["rating"] - low) / span
            width = 100 * 6 * r["sigma"] / span
            r["bar"] = {"lo": round(lo, 2), "width": round(width, 2), "mu": round(lo + width / 2, 2)}
    return rows


def leaderboard_token(session: Session) -> str:
    """A short token that changes whenever the leaderboard can have changed (ratings or the pool)."""
    last_change = session.scalar(select(func.max(RatingChange.id))) or 0
    pool = session.execute(
        select(func.count(), func.max(Snapshot.id)).select_from(Snapshot).where(Snapshot.active.is_(True))
    ).one()
    return f"{last_change}-{pool[0]}-{pool[1] or 0}"


def rank_by_id(session: Session) -> dict[int, int]:
    """Leaderboard rank of every active snapshot, by id (one narrow query)."""
    score = Rating.mu - 3 * Rating.sigma
    ids = session.scalars(
        select(Snapshot.id).outerjoin(Rating, Rating.snapshot_id == Snapshot.id)
        .where(Snapshot.active.is_(True)).order_by(score.desc().nulls_last(), Snapshot.id)
    )
    return {snapshot_id: rank for rank, snapshot_id in enumerate(ids, start=1)}


def status(session: Session, worker_seen_seconds: float) -> dict[str, int]:
    """Jobs queued and running, and workers heard from within `worker_seen_seconds` (league core)."""
    counts = job_counts(session)
    workers = workers_seen(session, within_seconds=worker_seen_seconds)
    return {"jobs_queued": counts["queued"], "jobs_running": counts["leased"], "workers_seen": len(workers)}


def head_to_head(session: Session) -> dict[str, Any]:
    """The win matrix of active snapshots in rank order, pairs listed once from the better-ranked side.

    Returns `{"names", "ids", "cells": [[row, col, wins, draws, losses], ...]}` with row < col,
    from the league core's `league.core.leaderboard.head_to_head_matrix`.
    """
    matrix = head_to_head_matrix(session)
    index = {snapshot_id: i for i, snapshot_id in enumerate(matrix.ids)}
    cells = []
    for low, high, low_wins, draws, high_wins in matrix.pairs:
        i, j = index[low], index[high]
        cells.append([i, j, low_wins, draws, high_wins] if i < j else [j, i, high_wins, draws, low_wins])
    return {"names": matrix.names, "ids": matrix.ids, "cells": cells}


def opponent(session: Session, snapshot_id: int) -> dict[str, Any] | None:
    """One snapshot with its rating, rank, config and weights facts; None if there is none."""
    row = session.execute(
        _snapshot_select().where(Snapshot.id == snapshot_id).order_by(None)
        .add_columns(Snapshot.config, Snapshot.weights_sha256, Snapshot.weights_size, Snapshot.active)
    ).one_or_none()
    if row is None:
        return None
    ranks = rank_by_id(session)
    info = _row_dict(row, ranks.get(snapshot_id))
    info.update(config=row.config or {}, sha256=row.weights_sha256, weights_size=row.weights_size)
    return info


def rating_history(session: Session, snapshot_id: int) -> dict[str, list]:
    """mu and sigma after each rated game (from the prior on), with game numbers, times and matches.

    Rows come from the league core's `league.core.leaderboard.rating_history`.
    """
    changes = core_rating_history(session, snapshot_id, limit=100_000)
    history: dict[str, list] = {"games": [], "time": [], "mu": [], "sigma": [], "match": []}
    if not changes:
        return history
    first = changes[0]
    history["games"].append(0)
    history["time"].append(first.created_at.timestamp())
    history["mu"].append(first.mu_before)
    history["sigma"].append(first.sigma_before)
    history["match"].append(None)
    for n, change in enumerate(changes, start=1):
        history["games"].append(n)
        history["time"].append(change.created_at.timestamp())
        history["mu"].append(change.mu_after)
        history["sigma"].append(change.sigma_after)
        history["match"].append(change.match_id)
    return history


def _rating_delta_by_match(history: dict[str, list]) -> dict[int, float]:
    """Change of the conservative rating over each match, from the rating history."""
    deltas: dict[int, float] = {}
    for k in range(1, len(history["mu"])):
        step = _score(history["mu"][k], history["sigma"][k]) - _score(history["mu"][k - 1], history["sigma"][k - 1])
        match_id = history["match"][k]
        deltas[match_id] = deltas.get(match_id, 0.0) + step
    return deltas


def recent_matches(session: Session, snapshot_id: int, history: dict[str, list]) -> list[dict[str, Any]]:
    """The snapshot's latest matches with the other side's name and W/D/L from this snapshot's side."""
    other = aliased(Snapshot)
    is_a = Match.snapshot_a_id == snapshot_id
    matches = session.execute(
        select(Match.id, Match.state, Match.finished_at, is_a.label("is_a"), other.id.label("other_id"),
               other.name.label("other_name"))
        .join(other, other.id == case((is_a, Match.snapshot_b_id), else_=Match.snapshot_a_id))
        .where(or_(Match.snapshot_a_id == snapshot_id, Match.snapshot_b_id == snapshot_id))
        .order_by(Match.id.desc()).limit(RECENT_MATCHES)
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
    deltas = _rating_delta_by_match(history)
    result = []
    for m in matches:
        c = counts.get(m.id)
        result.append({
            "id": m.id, "status": m.state, "finished_at": m.finished_at, "other_id": m.other_id,
            "other_name": m.other_name, "wins": c.wins if c else 0, "draws": c.draws if c else 0,
            "losses": c.losses if c else 0, "delta": deltas.get(m.id),
        })
    return result


def versus(session: Session, snapshot_id: int, ranks: dict[int, int]) -> list[dict[str, Any]]:
    """Results against every snapshot this one has played, best-ranked opponent first."""
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
        result.append({"id": other_id, "name": r.name, "rank": ranks.get(other_id), "games": r.games,
                       "wins": wins, "draws": r.draws, "losses": losses,
                       "score": (wins + r.draws / 2) / r.games})
    result.sort(key=lambda v: (v["rank"] is None, v["rank"] or 0, v["id"]))
    return result


def match(session: Session, match_id: int) -> dict[str, Any] | None:
    """A match with both names and its games (with a flag for a stored record); None if unknown."""
    a, b = aliased(Snapshot), aliased(Snapshot)
    m = session.execute(
        select(Match.id, Match.state, Match.finished_at, Match.snapshot_a_id, Match.snapshot_b_id,
               a.name.label("a_name"), b.name.label("b_name"))
        .join(a, a.id == Match.snapshot_a_id).join(b, b.id == Match.snapshot_b_id).where(Match.id == match_id)
    ).one_or_none()
    if m is None:
        return None
    games = session.execute(
        select(Game.id, Game.index, Game.seed, Game.one_starting, Game.a_is_player_one, Game.winner, Game.length,
               Game.end_reason, GameRecord.game_id.label("record_id"))
        .outerjoin(GameRecord, GameRecord.game_id == Game.id)
        .where(Game.match_id == match_id).order_by(Game.index)
    ).all()
    rows, tally = [], {"win": 0, "draw": 0, "loss": 0}
    for g in games:
        red, blue = (m.a_name, m.b_name) if g.a_is_player_one else (m.b_name, m.a_name)
        if g.winner is None:
            result, css = "not played", "muted"
        else:
            a_side = g.winner if g.a_is_player_one else -g.winner
            tally[{1: "win", 0: "draw", -1: "loss"}[a_side]] += 1
            result = {1: f"{red} wins", -1: f"{blue} wins", 0: "draw"}[g.winner]
            css = {1: "win", 0: "draw", -1: "loss"}[a_side]
        rows.append({"id": g.id, "index": g.index, "seed": g.seed, "red_name": red, "blue_name": blue,
                     "result": result, "result_class": css, "length": g.length, "end_reason": g.end_reason or "",
                     "has_record": g.record_id is not None})
    return {
        "match": {"id": m.id, "status": m.state, "finished_at": m.finished_at, "one_id": m.snapshot_a_id,
                  "two_id": m.snapshot_b_id, "one_name": m.a_name, "two_name": m.b_name,
                  "wins": tally["win"], "draws": tally["draw"], "losses": tally["loss"]},
        "games": rows,
    }


def game_record(session: Session, game_id: int) -> dict[str, Any] | None:
    """The stored replay record of a game (as `league.core.matches` stores it), or None."""
    data = session.scalar(select(GameRecord.data).where(GameRecord.game_id == game_id))
    return None if data is None else decompress_record(data)


def agent(session: Session, agent_id: int) -> dict[str, Any] | None:
    """An agent lineage, its training curves (thinned) and its checkpoints with their ratings."""
    found = session.execute(select(Agent.id, Agent.name).where(Agent.id == agent_id)).one_or_none()
    if found is None:
        return None
    metrics: dict[str, list[list[float]]] = {}
    for name, step, value in session.execute(
        select(TrainingMetric.name, TrainingMetric.step, TrainingMetric.value)
        .where(TrainingMetric.agent_id == agent_id).order_by(TrainingMetric.name, TrainingMetric.step)
    ):
        metrics.setdefault(name, []).append([step, value])
    for name, points in metrics.items():
        if len(points) > MAX_CURVE_POINTS:
            stride = len(points) / MAX_CURVE_POINTS
            metrics[name] = [points[int(k * stride)] for k in range(MAX_CURVE_POINTS)] + [points[-1]]
    ranks = rank_by_id(session)
    checkpoints = [
        _row_dict(row, ranks.get(row.id))
        for row in session.execute(
            _snapshot_select().where(Snapshot.agent_id == agent_id).order_by(None)
            .order_by(Snapshot.step.desc(), Snapshot.id.desc())
        )
    ]
    return {"agent": {"id": found.id, "name": found.name}, "metrics": metrics, "checkpoints": checkpoints}
