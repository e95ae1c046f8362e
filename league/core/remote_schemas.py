"""Wire models of the remote-agent endpoints (`/api/gateway`, `/api/remote/...`): what the server
answers and the agent gateway validates (pydantic only, like `league.core.schemas`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from league.core.schemas import MAX_STEP, JobAssignment, SnapshotInfo

MAX_REMOTE_IDS = 1000  # snapshot ids one presence or claim request may name
SnapshotId = Annotated[int, Field(ge=1, le=MAX_STEP)]  # a database id: a positive 64-bit integer
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"


class GatewayInfo(BaseModel):
    """`GET /api/gateway`: where remote agents connect (null: this league takes none)."""

    url: str | None = Field(description="the gateway's WebSocket address, ws://... or wss://...")
    online_seconds: float = Field(description="a remote snapshot counts as online this long after the gateway saw it")


class RemoteConnectRequest(BaseModel):
    """Which remote snapshot a connection plays as: lineage `agent`, version `version`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    agent: str = Field(min_length=1, max_length=100, pattern=r"^[^\n\r\t]+$")
    version: str = Field(pattern=VERSION_PATTERN, description="1 to 40 letters, digits, '.', '_' or '-'")


class RemoteConnected(BaseModel):
    """The remote snapshot of `(agent, version)` (made now when `created`) and the user it belongs to."""

    snapshot: SnapshotInfo
    user: str
    created: bool


class PresenceRequest(BaseModel):
    """The gateway's word on which remote snapshots it holds a connection for, and which it lost."""

    model_config = ConfigDict(extra="forbid", strict=True)

    online: list[SnapshotId] = Field(default_factory=list, max_length=MAX_REMOTE_IDS)
    offline: list[SnapshotId] = Field(default_factory=list, max_length=MAX_REMOTE_IDS)


class RemoteClaimRequest(BaseModel):
    """A gateway's claim: jobs with a side in `play_for`, whose every remote side is in `connected`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    play_for: list[SnapshotId] = Field(min_length=1, max_length=MAX_REMOTE_IDS)
    connected: list[SnapshotId] = Field(default_factory=list, max_length=MAX_REMOTE_IDS)
    count: int = Field(1, ge=1, le=64)


class RemoteJobs(BaseModel):
    """The jobs a gateway's claim leased (empty when none fits)."""

    jobs: list[JobAssignment]


class RemoteAgentInfo(BaseModel):
    """A remote snapshot and whether the gateway holds a connection for it."""

    snapshot: SnapshotInfo
    online: bool
    last_seen_at: datetime | None
