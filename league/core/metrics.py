"""Training metrics of an agent lineage: store batches (step -> name -> value), read them back.

Only the lineage's owner or an admin posts its metrics; posting to a new lineage makes it, owned by
the poster (`league.core.users`).
"""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import InvalidInput
from league.core.models import TrainingMetric, utcnow
from league.core.schemas import MetricBatch, MetricPoint
from league.core.snapshots import find_agent, get_or_create_agent
from league.core.users import Actor

MAX_POINTS = 100_000


def record_metrics(session: Session, agent: str, batches: list[MetricBatch | dict], by: Actor | None = None) -> int:
    """Store metric values of lineage `agent` (created if new, owned by `by`'s user); returns how many
    values were stored.

    Raises `InvalidInput` for a negative step, an empty or over-long name or a non-finite value,
    `Forbidden` when the lineage belongs to another user and `by` is no admin.
    """
    parsed = []
    for batch in batches:
        try:
            batch = batch if isinstance(batch, MetricBatch) else MetricBatch.model_validate(batch)
        except Exception as error:
            raise InvalidInput(f"malformed metrics batch: {error}") from None
        for name, value in batch.values.items():
            if not name or len(name) > 100:
                raise InvalidInput(f"metric names must be 1 to 100 characters, got {name!r}")
            if not math.isfinite(value):
                raise InvalidInput(f"metric {name!r} at step {batch.step} is not finite ({value})")
            parsed.append((batch.step, name, float(value)))
    with write_transaction(session):
        agent_id = get_or_create_agent(session, agent, by, what="post its metrics").id
        now = utcnow()
        session.add_all([TrainingMetric(agent_id=agent_id, step=s, name=n, value=v, created_at=now)
                         for s, n, v in parsed])
    return len(parsed)


def read_metrics(session: Session, agent: str, *, names: list[str] | None = None, since_step: int = 0,
                 limit: int = MAX_POINTS) -> list[MetricPoint]:
    """Metric values of lineage `agent` with step >= `since_step`, by name then step."""
    if not 1 <= limit <= MAX_POINTS:
        raise InvalidInput(f"limit must be between 1 and {MAX_POINTS}, got {limit}")
    query = select(TrainingMetric).where(TrainingMetric.agent_id == find_agent(session, agent).id,
                                         TrainingMetric.step >= since_step)
    if names:
        query = query.where(TrainingMetric.name.in_(names))
    rows = session.scalars(query.order_by(TrainingMetric.name, TrainingMetric.step, TrainingMetric.id).limit(limit))
    return [MetricPoint(step=r.step, name=r.name, value=r.value, created_at=r.created_at) for r in rows]
