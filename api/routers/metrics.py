"""Training metrics of an agent lineage: its owner (or an admin) posts batches, anyone reads them.

The lineage's name is the rest of the path before `/metrics`, so a name with `/` in it is reached
too (percent-encoded or not).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import SessionDep, TrainerDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from api.params import MAX_ID, NAME_PATTERN
from league.core import metrics
from league.core.schemas import MetricBatch, MetricPoint, MetricsStored

router = APIRouter(prefix="/api/agents", tags=["metrics"], responses=ERROR_RESPONSES)

AgentName = Annotated[str, Path(pattern=NAME_PATTERN, description="the agent (lineage) name")]


MetricName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class MetricBatchIn(MetricBatch):
    """Metrics of one training step: name -> value (the step's bounds are the core's)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    values: dict[MetricName, float] = Field(max_length=1000)


class MetricsUpload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    metrics: list[MetricBatchIn] = Field(max_length=10_000, description="batches of {step, values: {name: value}}")


@router.post("/{agent:path}/metrics", response_model=MetricsStored, status_code=201, responses=AUTH_RESPONSES)
def post_metrics(session: SessionDep, caller: TrainerDep, agent: AgentName, upload: MetricsUpload):
    """Store a batch of training metrics of `agent` (created if new, owned by the caller's user; a trainer
    token of its owner, or an admin: 403 for anyone else)."""
    return MetricsStored(stored=metrics.record_metrics(session, agent, list(upload.metrics), by=caller.actor))


@router.get("/{agent:path}/metrics", response_model=list[MetricPoint])
def get_metrics(
    session: SessionDep,
    agent: AgentName,
    name: Annotated[list[str] | None, Query(description="only these metric names (repeatable)")] = None,
    since_step: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=metrics.MAX_POINTS)] = metrics.MAX_POINTS,
):
    """Training metrics of `agent` with step >= `since_step`, ordered by name then step."""
    return metrics.read_metrics(session, agent, names=name, since_step=since_step, limit=limit)
