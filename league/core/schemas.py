"""The typed values the league's service functions take and return (pydantic models).

They are plain data, safe to serialise as JSON, and they are the wire models: the server declares
them as its response models and the workers' client validates every answer with the same class
(pydantic only, no database, so both sides import this module).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

# A kind of the registry in `league.core.kinds` (basic_weak, basic_strong, dreamer, ...); the core
# checks it, so a new kind needs no change here.
SnapshotKind = Annotated[str, Field(min_length=1, max_length=40, description="the snapshot's policy kind")]
EndReason = Literal["goal", "time_limit", "forfeit"]
JobState = Literal["queued", "leased", "done", "failed"]
Role = Literal["admin", "trainer", "worker"]

MAX_STEP = 2**63 - 1  # the largest integer a database integer column holds
MAX_GAMES_PER_MATCH = 100  # a match has an even number of games from 2 to this


class Page(BaseModel, Generic[T]):
    """One page of a listing: `items`, the `total` count matching the filters, and the window."""

    items: list[T]
    total: int
    offset: int
    limit: int


class SnapshotInfo(BaseModel):
    """A pool member as stored (without its weights bytes)."""

    id: int
    name: str
    agent: str
    owner: str = Field(description="the user its lineage belongs to")
    kind: SnapshotKind
    step: int
    config: dict[str, Any]
    notes: str
    sha256: str | None
    size: int
    game_version: str
    active: bool
    created_at: datetime

    def ref(self) -> SnapshotRef:
        """The reference a worker loads this snapshot's policy from."""
        return SnapshotRef(id=self.id, name=self.name, kind=self.kind, sha256=self.sha256, config=self.config)


class SnapshotRef(BaseModel):
    """What a worker needs to load a snapshot's policy (weights are fetched by id, cached by sha256)."""

    id: int
    name: str
    kind: SnapshotKind
    sha256: str | None
    config: dict[str, Any]


class Registration(BaseModel):
    """What `register_snapshot` did: `created` is False when identical weights were already stored;
    `placement_match_ids` are the placement matches queued with it."""

    snapshot: SnapshotInfo
    created: bool
    placement_match_ids: list[int] = Field(default_factory=list)
    message: str = Field("", description="why nothing was created, when it was not")


class LeaderboardRow(BaseModel):
    """One leaderboard line; `score = mu - 3 * sigma`, the order of the board; `agent` is the lineage."""

    rank: int
    snapshot_id: int
    name: str
    agent: str
    agent_id: int
    owner: str = Field(description="the user its lineage belongs to")
    kind: SnapshotKind
    mu: float
    sigma: float
    score: float
    games: int
    wins: int
    draws: int
    losses: int
    forfeits: int
    provisional: bool
    active: bool
    last_played_at: datetime | None


class RatingChangeInfo(BaseModel):
    """One rating update of a snapshot, caused by one game of one match; `id` orders them (for paging)."""

    id: int
    match_id: int
    game_id: int
    mu_before: float
    sigma_before: float
    mu_after: float
    sigma_after: float
    created_at: datetime


class HeadToHead(BaseModel):
    """Results between two snapshots, counted from `snapshot_a`'s side (a's id < b's id)."""

    snapshot_a_id: int
    snapshot_b_id: int
    games: int
    a_wins: int
    draws: int
    b_wins: int
    last_played_at: datetime | None


class GameInfo(BaseModel):
    """One game of a match. `winner` is player one's view (+1, -1, 0); results are None until played."""

    id: int
    match_id: int
    index: int
    seed: int
    one_starting: bool
    player_one_id: int
    player_two_id: int
    winner: int | None
    result_a: Literal["win", "draw", "loss"] | None
    goals_one: int | None
    goals_two: int | None
    length: int | None
    end_reason: EndReason | None
    forfeit_side: int | None
    played_at: datetime | None
    has_record: bool


class MatchSummary(BaseModel):
    """A match (and its job state); scores count a win 1 and a draw 1/2, from a's side.

    `worker` holds the lease (for a job re-queued after its lease ran out: the last holder).
    """

    id: int
    state: JobState
    snapshot_a_id: int
    snapshot_b_id: int
    snapshot_a_name: str
    snapshot_b_name: str
    n_games: int
    reason: str
    a_score: float | None
    worker: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class MatchDetail(MatchSummary):
    games: list[GameInfo]




class PlannedGame(BaseModel):
    """A game a worker is to play: seed, who starts, and whether snapshot a is player one."""

    index: int
    seed: int
    one_starting: bool
    a_is_player_one: bool


class JobAssignment(BaseModel):
    """A leased match job: both snapshots and the games to play, until `lease_expires_at`."""

    job_id: int
    lease_id: str
    attempt: int
    worker: str
    lease_expires_at: datetime
    snapshot_a: SnapshotRef
    snapshot_b: SnapshotRef
    games: list[PlannedGame]


class GameReport(BaseModel):
    """A worker's result of one game. `winner` is player one's view: +1, -1 or 0 (draw).

    `end_reason` "forfeit" names the failing side in `forfeit_side` (1, 2, or 0 when both
    failed, a draw); `record` is the game record dict (optional).
    """

    index: int = Field(ge=0, lt=MAX_GAMES_PER_MATCH)
    winner: Literal[-1, 0, 1]
    length: int = Field(ge=0)
    end_reason: EndReason
    forfeit_side: Literal[0, 1, 2] | None = None
    error: str = ""
    record: dict[str, Any] | None = None


class MatchResult(BaseModel):
    """A worker's result of a whole match job: one report per planned game."""

    games: list[GameReport]


class ReportOutcome(BaseModel):
    """What `report_result` did; `duplicate` is True when the same result had been counted already."""

    job_id: int
    duplicate: bool
    match: MatchSummary


class WorkerInfo(BaseModel):
    name: str
    first_seen_at: datetime
    last_seen_at: datetime
    jobs_done: int


class UserInfo(BaseModel):
    """A user of the league: owns lineages, holds tokens."""

    id: int
    name: str
    created_at: datetime


class TokenInfo(BaseModel):
    """A token as listed: never the plaintext, only a short prefix to recognise it."""

    id: int
    name: str
    user: str = Field(description="the user the token belongs to")
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class NewToken(BaseModel):
    """A freshly made token: `plaintext` is shown this once and never stored."""

    token: TokenInfo
    plaintext: str


class AuditEntryInfo(BaseModel):
    """One write to the league: who (`user`, `token_id`, `role`; no token for the command line), what
    (`action`: method and path, the answer's `status`, a `detail`), when. A change made with the
    command line on the server's machine has role `cli`, no user or token, and status 0."""

    id: int
    created_at: datetime
    user: str | None
    token_id: int | None
    role: str
    action: str
    status: int
    detail: str


class MetricPoint(BaseModel):
    step: int
    name: str
    value: float
    created_at: datetime


class MetricBatch(BaseModel):
    """Metrics of one training step: name -> value."""

    step: int = Field(ge=0, le=MAX_STEP)
    values: dict[str, float]


class OpponentChoice(BaseModel):
    """An opponent drawn for training: why (`pfsp`, `latest_self`, `basic`) and its PFSP weight."""

    snapshot: SnapshotInfo
    source: Literal["pfsp", "latest_self", "basic"]
    win_rate: float | None
    weight: float | None


# -- answers only the HTTP API gives (the service functions return the models above) ----------------


class Health(BaseModel):
    """`GET /api/health`: whether the server and its database answer, and what they run."""

    status: str = Field(description='"ok" when the server and its database answer')
    database: str = Field(description='"ok", or why the database cannot be reached')
    schema_version: str | None = Field(description="the Alembic revision the database is at")
    game_version: str = Field(description="the version of the hockey game this server rates games of")


class Claim(BaseModel):
    """The leased job, or `job: null` when nothing is queued."""

    job: JobAssignment | None


MAX_JOBS_PER_BATCH = 64  # jobs one batched claim, result post or heartbeat may name


class ClaimedJobs(BaseModel):
    """A batched claim's leased jobs, in the order they were handed out (empty when none is queued)."""

    jobs: list[JobAssignment]


class BatchItemOutcome(BaseModel):
    """What a batched result post or heartbeat did with one job: `status` is the HTTP status the single
    endpoint would have answered (200 taken, 404/409/422 refused, with `detail` saying why)."""

    job_id: int
    status: int
    detail: str | None = None
    duplicate: bool = False
    lease_expires_at: datetime | None = None


class BatchOutcome(BaseModel):
    """One outcome per job of a batched request, in the request's order."""

    outcomes: list[BatchItemOutcome]


class JobStats(BaseModel):
    """Jobs per state and the workers heard from recently."""

    counts: dict[str, int]
    workers: list[WorkerInfo]


class Registered(BaseModel):
    """A registration's outcome: `created` is False when identical weights were registered before."""

    id: int
    sha256: str
    created: bool
    opponent: SnapshotInfo
    message: str = Field("", description="when `created` is False: which registration it repeats, and how")


class Opponent(SnapshotInfo):
    """An opponent with its rating and results."""

    rank: int | None = Field(description="place on the leaderboard of active opponents (None when retired)")
    mu: float
    sigma: float
    score: float = Field(description="mu - 3*sigma")
    provisional: bool
    games: int
    wins: int
    draws: int
    losses: int
    forfeits: int


class MetricsStored(BaseModel):
    """How many metric values a batch upload stored."""

    stored: int = Field(description="how many values were stored")
