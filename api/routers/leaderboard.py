"""The leaderboard and head-to-head counts (public reads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter
from pydantic_core import to_json

from api.deps import SessionDep
from api.errors import ERROR_RESPONSES
from api.params import MAX_ID
from league.core import leaderboard as ratings
from league.core.schemas import HeadToHead, LeaderboardRow
from league.core.snapshots import get_snapshot

router = APIRouter(prefix="/api", tags=["ratings"], responses=ERROR_RESPONSES)


LEADERBOARD_ROWS = TypeAdapter(list[LeaderboardRow])


@router.get("/leaderboard", response_model=list[LeaderboardRow])
async def get_leaderboard(
    request: Request,
    include_retired: Annotated[bool, Query(description="also list retired opponents")] = False,
):
    """Every pool member ranked by `mu - 3*sigma`, with mu, sigma, games, W/D/L and the provisional flag."""

    def compute() -> bytes:
        with request.app.state.sessionmaker() as session:
            return LEADERBOARD_ROWS.dump_json(ratings.leaderboard(session, include_retired=include_retired))

    body = await request.app.state.read_cache.get_or_compute(("leaderboard", include_retired), compute)
    return Response(content=body, media_type="application/json")


@router.get("/head-to-head", response_model=list[HeadToHead])
def get_head_to_head(
    session: SessionDep,
    opponent: Annotated[int | None, Query(ge=1, le=MAX_ID, description="only pairs with this opponent")] = None,
    other: Annotated[int | None, Query(ge=1, le=MAX_ID, description="with `opponent`: only this pair, "
                                       "counted from `opponent`'s side (alone: like `opponent`)")] = None,
):
    """Win/draw/loss counts between pool members, for every pair that has played (or a chosen one).

    `other` alone filters like `opponent`; `opponent` and `other` the same lists nothing (a snapshot
    never plays itself)."""
    if other is not None and opponent is None:
        opponent, other = other, None
    if other is not None and opponent is not None:
        get_snapshot(session, opponent), get_snapshot(session, other)  # 404 for an unknown id
        return [] if opponent == other else [ratings.pair_record(session, opponent, other)]
    # Raw rows straight to JSON: no object per pair (a large league has thousands of pairs).
    fields = tuple(HeadToHead.model_fields)
    rows = [dict(zip(fields, row, strict=True)) for row in ratings.pair_counts(session, opponent)]
    return Response(content=to_json(rows), media_type="application/json")
