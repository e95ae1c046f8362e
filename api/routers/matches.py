"""Matches, their games and game records for replay (public reads; admins may queue a match)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminDep, SessionDep, SettingsDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from api.params import MAX_ID, IdPath, Limit, Offset
from league.core import matches
from league.core.matchmaking import create_match
from league.core.schemas import GameInfo, JobState, MatchDetail, MatchSummary, Page

router = APIRouter(prefix="/api", tags=["matches"], responses=ERROR_RESPONSES)

MatchReason = Literal["placement", "rating", "tournament", "manual", "check"]


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    snapshot_a_id: int = Field(ge=1, le=MAX_ID)
    snapshot_b_id: int = Field(ge=1, le=MAX_ID)
    n_games: int | None = Field(None, ge=2, le=100, description="even; default: the league's games per match")


@router.get("/matches", response_model=Page[MatchSummary])
def list_matches(
    session: SessionDep,
    offset: Offset = 0,
    limit: Limit = 50,
    opponent: Annotated[int | None, Query(ge=1, le=MAX_ID, description="only matches of this opponent")] = None,
    state: Annotated[JobState | None, Query(description="only matches in this state")] = None,
    reason: Annotated[MatchReason | None, Query(description="only matches queued for this reason")] = None,
):
    """Matches (each also a worker job), newest first; paginated."""
    return matches.list_matches(session, snapshot_id=opponent, state=state, reason=reason, offset=offset,
                                limit=limit)


@router.post("/matches", response_model=MatchSummary, status_code=201, responses=AUTH_RESPONSES)
def queue_match(session: SessionDep, settings: SettingsDep, caller: AdminDep, request: MatchRequest):
    """Queue a match between two opponents (admin token); workers play it like any other."""
    return create_match(session, request.snapshot_a_id, request.snapshot_b_id, n_games=request.n_games,
                        reason="manual", settings=settings)


@router.get("/matches/{match_id:int}", response_model=MatchDetail)
def get_match(session: SessionDep, match_id: IdPath):
    """A match with its games (seeds, sides, results)."""
    return matches.get_match(session, match_id)


@router.get("/games/{game_id:int}", response_model=GameInfo)
def get_game(session: SessionDep, game_id: IdPath):
    """One game of a match."""
    return matches.get_game(session, game_id)


@router.get("/games/{game_id:int}/record", response_model=dict[str, Any])
def get_game_record(session: SessionDep, game_id: IdPath):
    """The game record for replay: actions and frames of every step (format `hockey-game-record`)."""
    return matches.get_game_record(session, game_id)
