"""The typed answers of the league's aggregate reads (pydantic models): standings, series, listings.

The dashboard shows them as they are; `league.core.schemas` holds the models the HTTP API and
the workers exchange. Scores are `league.core.rating.conservative_score`, ranks the places of
`league.core.leaderboard.RANK_ORDER` (None for a retired snapshot).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from league.core.schemas import JobState, SnapshotKind


class LeagueStatus(BaseModel):
    """What the league is doing now: jobs waiting and leased, workers heard from lately."""

    jobs_queued: int
    jobs_running: int
    workers_seen: int


class SnapshotStanding(BaseModel):
    """A snapshot with its lineage (`agent`), rating, results and leaderboard rank."""

    id: int
    name: str
    kind: SnapshotKind
    agent_id: int
    agent: str
    owner: str
    step: int
    created_at: datetime
    rank: int | None
    mu: float
    sigma: float
    score: float
    games: int
    wins: int
    draws: int
    losses: int
    provisional: bool
    last_played_at: datetime | None


class OpponentDetail(SnapshotStanding):
    """A snapshot's standing with its config and weights facts (`sha256` None for a built-in one)."""

    config: dict[str, Any]
    sha256: str | None
    weights_size: int


class RatingSeries(BaseModel):
    """A snapshot's rating after each of its rated games, from the prior on (index 0, no match).

    Parallel lists: the game count, the time (Unix seconds), mu, sigma and the match of the game.
    """

    games: list[int]
    time: list[float]
    mu: list[float]
    sigma: list[float]
    match: list[int | None]


class NamedRatingSeries(BaseModel):
    """A snapshot's id and name with its rating series, one line of a comparison."""

    id: int
    name: str
    series: RatingSeries


class PairStanding(BaseModel):
    """Two snapshots side by side: their standings and their results against each other, counted from
    `a`'s side (`score`: win 1, draw 1/2, per game; None while they have not played)."""

    a: SnapshotStanding
    b: SnapshotStanding
    games: int
    a_wins: int
    draws: int
    b_wins: int
    score: float | None
    last_played_at: datetime | None


class RecentMatch(BaseModel):
    """One of a snapshot's matches, from that snapshot's side: the other snapshot, W/D/L so far and
    the change of its score over the match's rated games (None when none was rated)."""

    id: int
    state: JobState
    finished_at: datetime | None
    other_id: int
    other_name: str
    wins: int
    draws: int
    losses: int
    score_change: float | None


class VersusRecord(BaseModel):
    """A snapshot's results against one other snapshot; `score` counts a win 1 and a draw 1/2, per game."""

    other_id: int
    other_name: str
    other_rank: int | None
    games: int
    wins: int
    draws: int
    losses: int
    score: float


class HeadToHeadMatrix(BaseModel):
    """The active snapshots in rank order (`ids`, `names`) and one cell per pair among them that has
    played: `(row, col, row_wins, draws, col_wins)` with `row < col`, indices into `ids`."""

    ids: list[int]
    names: list[str]
    cells: list[tuple[int, int, int, int, int]]


class SnapshotName(BaseModel):
    id: int
    name: str


class BestSnapshot(BaseModel):
    """The snapshot of a lineage with the highest score."""

    id: int
    name: str
    score: float
    mu: float
    sigma: float


class LineageSummary(BaseModel):
    """An agent lineage: its snapshots (`active` of them in the pool), the best one, and how far its
    training got (`latest_step`: the highest step of a snapshot or a posted metric)."""

    id: int
    name: str
    owner: str
    builtin: bool
    created_at: datetime
    snapshots: int
    active: int
    best: BestSnapshot | None
    latest_step: int | None
    metrics_posted_at: datetime | None


class LineageDetail(BaseModel):
    """An agent lineage's training curves (`[step, value]` points per metric name, by step) and its
    snapshots, latest step first."""

    id: int
    name: str
    metrics: dict[str, list[tuple[int, float]]]
    checkpoints: list[SnapshotStanding]


class UserDetail(BaseModel):
    """A user and the lineages it owns, best first, each with its best snapshot and rating."""

    id: int
    name: str
    created_at: datetime
    agents: list[LineageSummary]
