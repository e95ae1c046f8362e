"""Remote agents: where they connect, which are online, and the agent gateway's endpoints.

`GET /api/gateway` tells `league connect` the gateway's WebSocket address. The gateway calls
`POST /api/remote/connect` with the *connecting user's* token (so the server, not the gateway, decides
who that user is and which lineages it may play as), then, with its own worker token, says which
remote snapshots it holds connections for (`/presence`) and claims the jobs it can play (`/claim`;
ordinary claims never hand out a job with a remote side). Leases, heartbeats, results and releases go
through `/api/jobs` as for any worker.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import SessionDep, SettingsDep, TrainerDep, WorkerDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from api.read_cache import invalidates_reads
from league.core import remote
from league.core.remote_schemas import (
    GatewayInfo,
    PresenceRequest,
    RemoteAgentInfo,
    RemoteClaimRequest,
    RemoteConnected,
    RemoteConnectRequest,
    RemoteJobs,
)

router = APIRouter(prefix="/api", tags=["remote agents"], responses=ERROR_RESPONSES)


@router.get("/gateway", response_model=GatewayInfo, responses={})
def gateway(settings: SettingsDep):
    """Where remote agents connect (`url` null: this league runs no gateway)."""
    return GatewayInfo(url=settings.gateway_url, online_seconds=settings.remote_online_seconds)


@router.get("/remote/agents", response_model=list[RemoteAgentInfo], responses={})
def remote_agents(session: SessionDep, settings: SettingsDep):
    """Every active remote snapshot and whether it is online, online ones first."""
    return remote.list_remote(session, settings=settings)


@router.post("/remote/connect", response_model=RemoteConnected, responses=AUTH_RESPONSES,
             dependencies=[Depends(invalidates_reads)])
def connect(http: Request, session: SessionDep, caller: TrainerDep, request: RemoteConnectRequest):
    """The remote snapshot `{agent}@{version}` of the caller's user, made if new (trainer token of the
    lineage's owner; 403 for another user's lineage). The gateway calls this with the connecting
    program's token."""
    connected = remote.connect_remote(session, agent=request.agent, version=request.version, by=caller.actor)
    http.state.audit_detail = f"remote snapshot {connected.snapshot.id}" + (" (new)" if connected.created else "")
    return connected


@router.post("/remote/presence", response_model=list[RemoteAgentInfo], responses=AUTH_RESPONSES,
             dependencies=[Depends(invalidates_reads)])
def presence(http: Request, session: SessionDep, settings: SettingsDep, caller: WorkerDep,
             request: PresenceRequest):
    """The gateway's word on which remote snapshots it holds connections for (`online`) and which it
    lost (`offline`); 422 for an id that is not a remote snapshot."""
    http.state.audit_skip = not request.offline  # routine keep-alive; a snapshot going offline is logged
    return remote.set_presence(session, online=request.online, offline=request.offline, settings=settings)


@router.post("/remote/claim", response_model=RemoteJobs, responses=AUTH_RESPONSES)
async def claim(http: Request, session: SessionDep, settings: SettingsDep, caller: WorkerDep,
                request: RemoteClaimRequest):
    """Lease jobs with a side in `play_for` whose remote sides are all connected to the calling gateway
    (`play_for` and `connected` are marked online); a connected snapshot without a match is given one."""
    jobs = await run_in_threadpool(remote.claim_remote_jobs, session, caller.name, play_for=request.play_for,
                                   connected=request.connected, count=request.count, settings=settings,
                                   token_id=caller.token_id)
    if jobs:
        http.state.audit_detail = "jobs " + ", ".join(str(job.job_id) for job in jobs)
    else:
        http.state.audit_skip = True
    return RemoteJobs(jobs=jobs)
