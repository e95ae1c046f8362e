"""Tournaments: created by an admin (any snapshots) or a trainer (their own), steered by their creator or an
admin, read by everyone, exported as CSV or JSON."""

from __future__ import annotations

import random
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SessionDep, TrainerDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from api.params import MAX_ID, IdPath
from league.core import tournaments
from league.core.tournament_results import export_tournament, tournament_detail
from league.core.tournament_schemas import TournamentDetail, TournamentFormat, TournamentSummary

router = APIRouter(prefix="/api", tags=["tournaments"], responses=ERROR_RESPONSES)

SnapshotId = Annotated[int, Field(ge=1, le=MAX_ID)]
MAX_PARTICIPANTS = 200


class TopParticipants(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    top: int = Field(ge=0, le=MAX_PARTICIPANTS, description="the top N of the leaderboard")


class TournamentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=tournaments.NAME_PATTERN, description="one line of 1 to 200 printable characters")
    participants: Annotated[list[SnapshotId], Field(max_length=MAX_PARTICIPANTS)] | TopParticipants = Field(
        description='snapshot ids, or {"top": N}; in a gauntlet, the entrants')
    format: TournamentFormat = "round_robin"
    games_per_pair: int = Field(ge=-MAX_ID, le=MAX_ID, description="even: games are played in mirrored pairs")
    seed: int | None = Field(None, ge=-MAX_ID, le=MAX_ID,
                             description="the same participants and seed give the same games; default random")
    rated: bool = Field(True, description="whether the games are also rated in the league")
    field: list[SnapshotId] | None = Field(None, max_length=MAX_PARTICIPANTS, description="a gauntlet's fixed field")
    remote_deadline_s: int = Field(
        tournaments.DEFAULT_REMOTE_DEADLINE_S, ge=1, le=tournaments.MAX_REMOTE_DEADLINE_S,
        description="seconds from now after which an offline remote participant forfeits its games still to play")


@router.post("/tournaments", response_model=TournamentSummary, status_code=201, responses=AUTH_RESPONSES)
def create(session: SessionDep, caller: TrainerDep, request: TournamentRequest):
    """Create a tournament and queue its matches: an admin token for any snapshots, a trainer token for
    the user's own; workers play them before league matches."""
    participants = (request.participants.model_dump() if isinstance(request.participants, TopParticipants)
                    else request.participants)
    seed = request.seed if request.seed is not None else random.SystemRandom().randrange(2**31)
    return tournaments.create_tournament(
        session, name=request.name, participants=participants, format=request.format,
        games_per_pair=request.games_per_pair, seed=seed, rated=request.rated, field=request.field,
        by=caller.actor, remote_deadline_s=request.remote_deadline_s)


@router.get("/tournaments", response_model=list[TournamentSummary])
def list_tournaments(session: SessionDep):
    """Every tournament, newest first, with its progress."""
    return tournaments.list_tournaments(session)


@router.get("/tournaments/{tournament_id:int}", response_model=TournamentDetail)
def get_tournament(session: SessionDep, tournament_id: IdPath):
    """A tournament: state, progress, standings (best first, with strength estimates), crosstable, matches."""
    return tournament_detail(session, tournament_id)


def _action(action: str):
    def handler(session: SessionDep, caller: TrainerDep, tournament_id: IdPath) -> TournamentSummary:
        return tournaments.set_state(session, tournament_id, action, caller.actor)

    handler.__name__ = f"{action}_tournament"
    handler.__doc__ = {"pause": "Pause a tournament: its queued matches are not handed out (its creator or an admin).",
                       "resume": "Resume a paused tournament (its creator or an admin).",
                       "cancel": "Cancel a tournament: its queued matches leave the queue (its creator or an admin)."}[action]
    return handler


for _name in ("pause", "resume", "cancel"):
    router.add_api_route(f"/tournaments/{{tournament_id:int}}/{_name}", _action(_name), methods=["POST"],
                         response_model=TournamentSummary, responses=AUTH_RESPONSES)


@router.get("/tournaments/{tournament_id:int}/export")
def export(session: SessionDep, tournament_id: IdPath,
           format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "json",
           table: Annotated[Literal["standings", "games"], Query(description="for csv: which table")] = "standings"):
    """The tournament's results: JSON (detail and every game) or CSV (the standings or the games)."""
    body = export_tournament(session, tournament_id, format, table)
    media = "text/csv" if format == "csv" else "application/json"
    filename = f"tournament-{tournament_id}{'-games' if format == 'csv' and table == 'games' else ''}.{format}"
    return Response(content=body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
