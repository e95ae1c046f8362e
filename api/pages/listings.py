"""Read-only queries behind the dashboard's two listings: every match, and every agent lineage.

`matches_page` reads one page of matches through the league core's `league.core.matches.list_matches`
(a count, one page of matches, their scores and names: a fixed number of queries whatever the
page size). `lineages` reads every agent lineage with its snapshot count, best rating and
training progress in four grouped queries, never one per lineage.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from league.core.matches import list_matches
from league.core.models import Agent, Rating, Snapshot, TrainingMetric
from league.core.rating import MU, SIGMA
from league.core.snapshots import BUILTIN_AGENT

# The dashboard's names for match states; the league core calls a running match "leased".
STATE_NAMES = {"queued": "queued", "running": "leased", "done": "done", "failed": "failed"}
SHOWN_STATE = {core: shown for shown, core in STATE_NAMES.items()}


def matches_page(session: Session, *, snapshot_id: int | None, state: str | None, offset: int,
                 limit: int) -> dict[str, Any]:
    """One page of matches, newest first, as `{"items", "total", "offset", "limit"}`.

    `state` is a dashboard state name (queued, running, done, failed). Raises the core's
    `NotFound` for an unknown snapshot and `InvalidInput` for a bad page.
    """
    page = list_matches(session, snapshot_id=snapshot_id, state=STATE_NAMES.get(state, state),
                        offset=offset, limit=limit)
    items = []
    for m in page.items:
        row = m.model_dump()
        row["state_shown"] = SHOWN_STATE.get(m.state, m.state)
        items.append(row)
    return {"items": items, "total": page.total, "offset": page.offset, "limit": page.limit}


def snapshot_choices(session: Session) -> list[dict[str, Any]]:
    """Every snapshot's id and name, by name (the opponent filter's choices)."""
    rows = session.execute(select(Snapshot.id, Snapshot.name).order_by(Snapshot.name, Snapshot.id))
    return [{"id": r.id, "name": r.name} for r in rows]


def lineages(session: Session) -> list[dict[str, Any]]:
    """Every agent lineage with its snapshots' count, best rating and latest training facts.

    Each row: `id`, `name`, `builtin`, `created_at`, `snapshots`, `active` (snapshots in the
    pool), `best` (`{"id", "name", "rating", "mu", "sigma"}` of the snapshot with the highest
    `mu - 3 sigma`, or None without snapshots), `latest_step` (the highest training step of a
    snapshot or a posted metric, or None), `metrics_posted_at` (when the newest metric value
    arrived, or None). Best lineage first; lineages without snapshots last, by name.
    """
    mu, sigma = func.coalesce(Rating.mu, MU), func.coalesce(Rating.sigma, SIGMA)
    score = mu - 3 * sigma
    per_agent = {"partition_by": Snapshot.agent_id}
    ranked = (
        select(Snapshot.agent_id, Snapshot.id, Snapshot.name, mu.label("mu"), sigma.label("sigma"),
               score.label("score"),
               func.row_number().over(**per_agent, order_by=(score.desc(), Snapshot.id)).label("place"),
               func.count().over(**per_agent).label("snapshots"),
               func.sum(case((Snapshot.active.is_(True), 1), else_=0)).over(**per_agent).label("active"),
               func.max(Snapshot.step).over(**per_agent).label("max_step"))
        .outerjoin(Rating, Rating.snapshot_id == Snapshot.id)
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
    for agent in session.execute(select(Agent.id, Agent.name, Agent.created_at)):
        top = best.get(agent.id)
        metric_step, posted_at = metrics.get(agent.id, (None, None))
        steps = [s for s in (top.max_step if top else None, metric_step) if s is not None]
        rows.append({
            "id": agent.id, "name": agent.name, "builtin": agent.name == BUILTIN_AGENT,
            "created_at": agent.created_at, "snapshots": top.snapshots if top else 0,
            "active": int(top.active or 0) if top else 0,
            "best": {"id": top.id, "name": top.name, "rating": top.score, "mu": top.mu, "sigma": top.sigma}
            if top else None,
            "latest_step": max(steps) if steps else None, "metrics_posted_at": posted_at,
        })
    rows.sort(key=lambda r: (r["best"] is None, -(r["best"]["rating"] if r["best"] else 0.0), r["name"], r["id"]))
    return rows
