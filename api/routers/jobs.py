"""Match jobs for workers: claim a lease, keep it alive, report the result or release the job
(worker tokens).

A result must carry the `lease_id` its claim returned: that is what proves the caller holds
the lease, so a result for a job not leased to the caller is refused (409). Reporting the same
result again is harmless and answers `duplicate: true`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SessionDep, SettingsDep, WorkerDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from api.params import IdPath
from api.read_cache import invalidates_reads
from league.core import jobs
from league.core.matches import get_match
from league.core.schemas import (
    MAX_GAMES_PER_MATCH,
    Claim,
    GameReport,
    JobAssignment,
    JobStats,
    MatchSummary,
    ReportOutcome,
)

router = APIRouter(prefix="/api/jobs", tags=["jobs"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})

WorkerName = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]{1,100}$", description="the worker's name")]
LeaseId = Annotated[str, Field(min_length=1, max_length=64, description="the `lease_id` the claim returned")]


class ClaimRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    worker: WorkerName


class HeartbeatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    worker: WorkerName
    lease_id: LeaseId | None = None


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    worker: WorkerName
    lease_id: LeaseId


class ResultRequest(BaseModel):
    """A match result: one report per planned game, and the lease it was played under."""

    model_config = ConfigDict(extra="forbid", strict=True)

    lease_id: LeaseId
    worker: WorkerName | None = Field(None, description="defaults to the lease holder")
    games: list[GameReport] = Field(max_length=MAX_GAMES_PER_MATCH)


@router.post("/claim", response_model=Claim)
async def claim_job(session: SessionDep, settings: SettingsDep, caller: WorkerDep, request: ClaimRequest):
    """Lease the next queued match job (matchmaking tops the queue up first); `job` is null when none."""
    job = await run_in_threadpool(jobs.claim_job, session, request.worker, settings=settings)
    return Claim(job=job)


@router.post("/{job_id:int}/heartbeat", response_model=JobAssignment)
def heartbeat(session: SessionDep, settings: SettingsDep, caller: WorkerDep, job_id: IdPath,
              request: HeartbeatRequest):
    """Extend the lease of a job the worker holds; 409 when the lease was lost."""
    return jobs.heartbeat(session, job_id, request.worker, lease_id=request.lease_id, settings=settings)


@router.post("/{job_id:int}/result", response_model=ReportOutcome, dependencies=[Depends(invalidates_reads)])
def report_result(session: SessionDep, caller: WorkerDep, job_id: IdPath, request: ResultRequest):
    """Record a leased job's result and rate its games; idempotent (a repeat answers `duplicate`)."""
    worker = request.worker
    if worker is None:
        match = get_match(session, job_id)
        if match.worker is None:
            raise HTTPException(status_code=409, detail=f"job {job_id} is not leased to anyone (it is {match.state})")
        worker = match.worker
    result = {"games": [game.model_dump() for game in request.games]}
    return jobs.report_result(session, job_id, worker, result, lease_id=request.lease_id)


@router.post("/{job_id:int}/release", response_model=MatchSummary, dependencies=[Depends(invalidates_reads)])
def release_job(session: SessionDep, caller: WorkerDep, job_id: IdPath, request: ReleaseRequest):
    """Give a leased job back to the queue at once (the attempt is not counted); 409 when the lease was lost."""
    return jobs.release_job(session, job_id, request.worker, lease_id=request.lease_id)


@router.get("/stats", response_model=JobStats, responses={})
def job_stats(session: SessionDep, settings: SettingsDep):
    """How many jobs are queued, leased, done and failed, and which workers were seen lately."""
    return JobStats(counts=jobs.job_counts(session),
                    workers=jobs.workers_seen(session, within_seconds=settings.worker_seen_seconds))
