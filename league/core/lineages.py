"""Agent lineages: every lineage with its best snapshot and training progress, one lineage's
training curves and snapshots, and the curves alone (to compare runs); a user's lineages.

`lineages` reads every lineage in four grouped queries, never one per lineage; the best snapshot
of each is the one first in the leaderboard's order (`league.core.leaderboard.RANK_ORDER`),
retired snapshots included.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from league.core.errors import NotFound
from league.core.leaderboard import RANK_ORDER, SCORE
from league.core.models import Agent, Rating, Snapshot, TrainingMetric, User
from league.core.read_schemas import BestSnapshot, LineageDetail, LineageSummary, UserDetail
from league.core.snapshots import BUILTIN_AGENT
from league.core.standings import lineage_standings
from league.core.users import find_user

MAX_CURVE_POINTS = 2000  # per training metric: longer curves are thinned evenly


def lineages(session: Session, *, owner_id: int | None = None) -> list[LineageSummary]:
    """Every agent lineage (or those of the user `owner_id`) with its owner, snapshots' count, best
    snapshot and latest training facts.

    Best lineage first (by its best snapshot's score); lineages without snapshots last, by name.
    """
    lineage = Snapshot.agent_id
    ranked = (
        select(Snapshot.agent_id, Snapshot.id, Snapshot.name, Rating.mu, Rating.sigma, SCORE.label("score"),
               func.row_number().over(partition_by=lineage, order_by=RANK_ORDER).label("place"),
               func.count().over(partition_by=lineage).label("snapshots"),
               func.sum(case((Snapshot.active.is_(True), 1), else_=0)).over(partition_by=lineage).label("active"),
               func.max(Snapshot.step).over(partition_by=lineage).label("max_step"))
        .join(Rating, Rating.snapshot_id == Snapshot.id)
        .subquery()
    )
    best = {r.agent_id: r for r in session.execute(select(ranked).where(ranked.c.place == 1))}
    # The metrics index (agent_id, name, step) covers this: no table rows are read.
    metric_tops = session.execute(
        select(TrainingMetric.agent_id, func.max(TrainingMetric.step), func.max(TrainingMetric.id))
        .group_by(TrainingMetric.agent_id)
    ).all()
    posted = dict(session.execute(
        select(TrainingMetric.id, TrainingMetric.created_at).where(TrainingMetric.id.in_([r[2] for r in metric_tops]))
    ).all()) if metric_tops else {}
    metrics = {agent_id: (step, posted.get(last_id)) for agent_id, step, last_id in metric_tops}

    rows = []
    agents = select(Agent.id, Agent.name, Agent.created_at, User.name.label("owner")).join(
        User, User.id == Agent.owner_id)
    for agent in session.execute(agents if owner_id is None else agents.where(Agent.owner_id == owner_id)):
        top = best.get(agent.id)
        metric_step, posted_at = metrics.get(agent.id, (None, None))
        steps = [s for s in (top.max_step if top else None, metric_step) if s is not None]
        rows.append(LineageSummary(
            id=agent.id, name=agent.name, owner=agent.owner, builtin=agent.name == BUILTIN_AGENT,
            created_at=agent.created_at,
            snapshots=top.snapshots if top else 0, active=int(top.active or 0) if top else 0,
            best=BestSnapshot(id=top.id, name=top.name, score=top.score, mu=top.mu, sigma=top.sigma) if top else None,
            latest_step=max(steps) if steps else None, metrics_posted_at=posted_at,
        ))
    rows.sort(key=lambda r: (r.best is None, -(r.best.score if r.best else 0.0), r.name, r.id))
    return rows


def _thinned(points: list[tuple[int, float]], max_points: int) -> list[tuple[int, float]]:
    """At most `max_points` evenly spaced points of a curve, and its last one."""
    if len(points) <= max_points:
        return points
    stride = len(points) / max_points
    return [points[int(k * stride)] for k in range(max_points)] + [points[-1]]


def lineage_curves(session: Session, agent_id: int, *, max_curve_points: int = MAX_CURVE_POINTS
                   ) -> dict[str, list[tuple[int, float]]]:
    """A lineage's training curves, `[step, value]` points per metric name by step, each thinned to
    about `max_curve_points` (one query; empty for an unknown id)."""
    curves: dict[str, list[tuple[int, float]]] = {}
    for name, step, value in session.execute(
        select(TrainingMetric.name, TrainingMetric.step, TrainingMetric.value)
        .where(TrainingMetric.agent_id == agent_id).order_by(TrainingMetric.name, TrainingMetric.step)
    ):
        curves.setdefault(name, []).append((step, value))
    return {name: _thinned(points, max_curve_points) for name, points in curves.items()}


def lineage_detail(session: Session, agent_id: int, *, max_curve_points: int = MAX_CURVE_POINTS) -> LineageDetail:
    """A lineage's training curves (`lineage_curves`) and its snapshots with their standings;
    `NotFound` for an unknown id."""
    found = session.execute(select(Agent.id, Agent.name).where(Agent.id == agent_id)).one_or_none()
    if found is None:
        raise NotFound(f"no agent with id {agent_id}")
    return LineageDetail(id=found.id, name=found.name,
                         metrics=lineage_curves(session, agent_id, max_curve_points=max_curve_points),
                         checkpoints=lineage_standings(session, agent_id))


def user_detail(session: Session, name: str) -> UserDetail:
    """A user with the lineages it owns (`lineages`), best first; `NotFound` for an unknown user."""
    user = find_user(session, name)
    return UserDetail(id=user.id, name=user.name, created_at=user.created_at,
                      agents=lineages(session, owner_id=user.id))
