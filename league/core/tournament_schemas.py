"""Wire models of tournaments: what the API answers and the dashboard shows."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

TournamentFormat = Literal["round_robin", "gauntlet"]
TournamentState = Literal["running", "paused", "done", "cancelled"]


class TournamentSummary(BaseModel):
    """A tournament as listed: its settings and progress."""

    id: int
    name: str
    format: TournamentFormat
    state: TournamentState
    games_per_pair: int
    seed: int
    rated: bool
    participants: int
    games_played: int
    games_total: int
    created_by: str
    created_at: datetime
    remote_deadline_at: datetime | None = None


class Standing(BaseModel):
    """One participant's line of the standings; `estimate` is a centred Elo-scale strength with its
    95 % bootstrap interval (null before any game); `field` marks a gauntlet's fixed field."""

    rank: int
    snapshot_id: int
    name: str
    field: bool
    games: int
    score: float
    wins: int
    draws: int
    losses: int
    estimate: float | None
    estimate_low: float | None
    estimate_high: float | None


class CrossCell(BaseModel):
    """The row participant's results against one opponent (score: win 1, draw 1/2)."""

    opponent_id: int
    games: int
    score: float
    wins: int
    draws: int
    losses: int


class CrossRow(BaseModel):
    """One row of the crosstable, in standings order; a cell is null for itself and unscheduled pairs."""

    snapshot_id: int
    name: str
    cells: list[CrossCell | None]


class TournamentMatch(BaseModel):
    """One match of the schedule (a worker job), with its state and a's score so far."""

    id: int
    state: str
    snapshot_a_id: int
    snapshot_b_id: int
    n_games: int
    games_played: int
    a_score: float


class TournamentDetail(TournamentSummary):
    """A tournament with its standings, crosstable, estimated draw parameter and matches."""

    draw_nu: float | None
    standings: list[Standing]
    crosstable: list[CrossRow]
    matches: list[TournamentMatch]


class TournamentGame(BaseModel):
    """One played game of a tournament, for export: who was player one, and a's result."""

    match_id: int
    game_id: int
    index: int
    seed: int
    one_starting: bool
    snapshot_a_id: int
    snapshot_b_id: int
    player_one_id: int
    result_a: Literal["win", "draw", "loss"]
    end_reason: str | None
    length: int | None
