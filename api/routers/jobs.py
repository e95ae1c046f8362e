"""Match jobs for workers: claim a lease, keep it alive, report the result or release the job
(worker tokens).

A lease belongs to the token that claimed it: the worker is the caller's token (its name is the
worker's name), never a field of the body. A heartbeat, result or release must come from that token
and carry the `lease_id` its claim returned; from any other token it is refused (409), whatever
job id and lease id it names. A lease id is shown only to its holder, in the claim's answer.
Reporting the same result again is harmless and answers `duplicate: true`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.deps import SessionDep, SettingsDep, WorkerDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from api.params import MAX_ID, IdPath
from api.read_cache import invalidates_reads
from league.core import job_batches, jobs
from league.core.schemas import (
    MAX_GAMES_PER_MATCH,
    MAX_JOBS_PER_BATCH,
    BatchOutcome,
    Claim,
    ClaimedJobs,
    GameReport,
    JobAssignment,
    JobStats,
    MatchResult,
    MatchSummary,
    ReportOutcome,
)

router = APIRouter(prefix="/api/jobs", tags=["jobs"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})

LeaseId = Annotated[str, Field(min_length=1, max_length=64, description="the `lease_id` the claim returned")]


class LeaseRequest(BaseModel):
    """A heartbeat or release: the lease it is about (the worker is the caller's token)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    lease_id: LeaseId


class GameReportIn(GameReport):
    """A game's report as a worker posts it: exact JSON types (`true` is not a winner, `false` not a
    side) and no field the server does not know."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("index", "winner", "length", "forfeit_side", mode="before")
    @classmethod
    def _a_whole_number(cls, value: object) -> object:
        # a literal of ints takes True for 1 and 1.0 for 1, even in strict mode
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError("a whole number (not true, false or a fraction)")
        return value


class ResultRequest(BaseModel):
    """A match result: one report per planned game, and the lease it was played under."""

    model_config = ConfigDict(extra="forbid", strict=True)

    lease_id: LeaseId
    games: list[GameReportIn] = Field(max_length=MAX_GAMES_PER_MATCH)


@router.post("/claim", response_model=Claim)
async def claim_job(http: Request, session: SessionDep, settings: SettingsDep, caller: WorkerDep):
    """Lease the next queued match job to the caller's token (matchmaking tops the queue up first);
    `job` is null when none. No body (or `{}`): the worker is the token, never a field."""
    if (await http.body()).strip() not in (b"", b"{}"):
        raise HTTPException(status_code=422, detail="a claim has no body: the worker is the caller's token "
                            "(its name is the worker's name)")
    job = await run_in_threadpool(jobs.claim_job, session, caller.name, settings=settings,
                                  token_id=caller.token_id)
    if job is None:
        http.state.audit_skip = True  # an idle poll changes nothing worth logging
    else:
        http.state.audit_detail = f"job {job.job_id}"
    return Claim(job=job)


@router.post("/{job_id:int}/heartbeat", response_model=JobAssignment)
def heartbeat(http: Request, session: SessionDep, settings: SettingsDep, caller: WorkerDep, job_id: IdPath,
              request: LeaseRequest):
    """Extend the lease of a job the caller's token holds under `lease_id`; 409 when it does not hold it."""
    kept = jobs.heartbeat(session, job_id, caller.name, lease_id=request.lease_id, settings=settings,
                          token_id=caller.token_id)
    http.state.audit_skip = True  # routine: a lease kept alive (a refused heartbeat is logged)
    return kept


@router.post("/{job_id:int}/result", response_model=ReportOutcome, dependencies=[Depends(invalidates_reads)])
def report_result(session: SessionDep, settings: SettingsDep, caller: WorkerDep, job_id: IdPath,
                  request: ResultRequest):
    """Record the result of a job the caller's token holds under `lease_id` and rate its games; idempotent
    (a repeat answers `duplicate`); 409 from any other token."""
    result = {"games": [game.model_dump() for game in request.games]}
    return jobs.report_result(session, job_id, caller.name, result, lease_id=request.lease_id, settings=settings,
                              token_id=caller.token_id)


@router.post("/{job_id:int}/release", response_model=MatchSummary, dependencies=[Depends(invalidates_reads)])
def release_job(session: SessionDep, caller: WorkerDep, job_id: IdPath, request: LeaseRequest):
    """Give a job the caller's token holds back to the queue at once (the attempt is not counted); 409 when
    it does not hold it."""
    return jobs.release_job(session, job_id, caller.name, lease_id=request.lease_id, token_id=caller.token_id)


class ClaimBatchRequest(BaseModel):
    """A batched claim: how many jobs the caller's token wants leased at most."""

    model_config = ConfigDict(extra="forbid", strict=True)

    count: int = Field(ge=1, le=MAX_JOBS_PER_BATCH, description="jobs to lease at most")


class ResultItem(ResultRequest):
    """One job's result in a batched post."""

    job_id: int = Field(ge=1, le=MAX_ID)


class ResultBatchRequest(BaseModel):
    """Results of several jobs the caller's token holds, each under its own lease."""

    model_config = ConfigDict(extra="forbid", strict=True)

    results: list[ResultItem] = Field(min_length=1, max_length=MAX_JOBS_PER_BATCH)


class LeaseItem(LeaseRequest):
    """One lease of a batched heartbeat."""

    job_id: int = Field(ge=1, le=MAX_ID)


class HeartbeatBatchRequest(BaseModel):
    """Leases the caller's token holds, to be extended together."""

    model_config = ConfigDict(extra="forbid", strict=True)

    leases: list[LeaseItem] = Field(min_length=1, max_length=MAX_JOBS_PER_BATCH)


@router.post("/claim-batch", response_model=ClaimedJobs)
async def claim_jobs(http: Request, session: SessionDep, settings: SettingsDep, caller: WorkerDep,
                     request: ClaimBatchRequest):
    """Lease up to `count` queued match jobs to the caller's token in one request, in the order single
    claims would hand them out (matchmaking tops the queue up to at least `count` first); `jobs` is
    empty when none is queued."""
    claimed = await run_in_threadpool(jobs.claim_jobs, session, caller.name, request.count, settings=settings,
                                      token_id=caller.token_id)
    if not claimed:
        http.state.audit_skip = True  # an idle poll changes nothing worth logging
    else:
        http.state.audit_detail = "jobs " + ",".join(str(job.job_id) for job in claimed)
    return ClaimedJobs(jobs=claimed)


@router.post("/results", response_model=BatchOutcome, dependencies=[Depends(invalidates_reads)])
def report_results(http: Request, session: SessionDep, settings: SettingsDep, caller: WorkerDep,
                   request: ResultBatchRequest):
    """Record the results of several jobs the caller's token holds, each as `POST /api/jobs/{id}/result`
    would (idempotent per job, each under its own lease): one outcome per job with the status the single
    endpoint would have answered. Empty, over 64 jobs or a job named twice: 422, nothing recorded."""
    items = [(item.job_id, item.lease_id, MatchResult(games=item.games)) for item in request.results]  # validated once
    outcomes = job_batches.report_results(session, caller.name, items, settings=settings, token_id=caller.token_id)
    http.state.audit_detail = "jobs " + ",".join(f"{o.job_id}:{o.status}" for o in outcomes)
    return BatchOutcome(outcomes=outcomes)


@router.post("/heartbeats", response_model=BatchOutcome)
def heartbeats(http: Request, session: SessionDep, settings: SettingsDep, caller: WorkerDep,
               request: HeartbeatBatchRequest):
    """Extend several leases the caller's token holds: one outcome per job (200, or the 404/409 the single
    heartbeat would have answered). Empty, over 64 jobs or a job named twice: 422."""
    outcomes = job_batches.heartbeats(session, caller.name, [(item.job_id, item.lease_id) for item in request.leases],
                                      settings=settings, token_id=caller.token_id)
    http.state.audit_skip = all(o.status == 200 for o in outcomes)  # routine unless one was refused
    return BatchOutcome(outcomes=outcomes)


@router.get("/stats", response_model=JobStats, responses={})
def job_stats(session: SessionDep, settings: SettingsDep):
    """How many jobs are queued, leased, done and failed, and which workers were seen lately."""
    return JobStats(counts=jobs.job_counts(session),
                    workers=jobs.workers_seen(session, within_seconds=settings.worker_seen_seconds))
