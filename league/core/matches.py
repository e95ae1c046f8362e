"""Reading matches and games: listings, a match with its games, a game's replay record."""

from __future__ import annotations

import json
import zlib
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from league.core.errors import InvalidInput, NotFound
from league.core.models import Game, GameRecord, Match, Snapshot
from league.core.schemas import GameInfo, MatchDetail, MatchSummary, Page
from league.core.snapshots import check_page, load_snapshot

STATES = ("queued", "leased", "done", "failed")


def compress_record(record: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(record, separators=(",", ":")).encode(), 6)


def decompress_record(data: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(data))


def _a_score_column():
    """Match score from a's side: win 1, draw 1/2 (None while no game has a result)."""
    a_won = or_((Game.winner == 1) & Game.a_is_player_one, (Game.winner == -1) & ~Game.a_is_player_one)
    return func.sum(case((Game.winner.is_(None), None), (Game.winner == 0, 0.5), (a_won, 1.0), else_=0.0))


def _summaries(session: Session, matches: list[Match]) -> list[MatchSummary]:
    ids = [m.id for m in matches]
    scores: dict[int, float | None] = dict(session.execute(
        select(Game.match_id, _a_score_column()).where(Game.match_id.in_(ids)).group_by(Game.match_id)
    ).all()) if ids else {}
    snapshot_ids = {m.snapshot_a_id for m in matches} | {m.snapshot_b_id for m in matches}
    names = dict(session.execute(select(Snapshot.id, Snapshot.name).where(Snapshot.id.in_(snapshot_ids))).all())
    return [
        MatchSummary(
            id=m.id, state=m.state, snapshot_a_id=m.snapshot_a_id, snapshot_b_id=m.snapshot_b_id,
            snapshot_a_name=names[m.snapshot_a_id], snapshot_b_name=names[m.snapshot_b_id], n_games=m.n_games,
            reason=m.reason, a_score=scores.get(m.id) if m.state == "done" else None, worker=m.worker,
            attempts=m.attempts, created_at=m.created_at, started_at=m.started_at, finished_at=m.finished_at,
        )
        for m in matches
    ]


def to_summary(session: Session, match: Match) -> MatchSummary:
    session.flush()
    return _summaries(session, [match])[0]


UNDER_CHECK = ("pending", "disputed")


def withheld(match: Match) -> bool:
    """Whether a match's game lengths and records are withheld: while its result is being checked by
    other workers, and always for a check (`league.core.result_checks`), so that no checker copies them."""
    return match.verifies_match_id is not None or match.check_state in UNDER_CHECK


def to_game_info(game: Game, match: Match, has_record: bool) -> GameInfo:
    one, two = (match.snapshot_a_id, match.snapshot_b_id) if game.a_is_player_one else (
        match.snapshot_b_id, match.snapshot_a_id)
    result_a = goals_one = goals_two = None
    hidden = withheld(match)
    if game.winner is not None:
        a_view = game.winner if game.a_is_player_one else -game.winner
        result_a = {1: "win", 0: "draw", -1: "loss"}[a_view]
        scored = game.end_reason == "goal"
        goals_one, goals_two = int(scored and game.winner == 1), int(scored and game.winner == -1)
    return GameInfo(
        id=game.id, match_id=game.match_id, index=game.index, seed=game.seed, one_starting=game.one_starting,
        player_one_id=one, player_two_id=two, winner=game.winner, result_a=result_a, goals_one=goals_one,
        goals_two=goals_two, length=None if hidden else game.length, end_reason=game.end_reason,
        forfeit_side=game.forfeit_side, played_at=game.played_at, has_record=has_record and not hidden,
    )


def list_matches(session: Session, *, snapshot_id: int | None = None, versus: int | None = None,
                 state: str | None = None, reason: str | None = None, offset: int = 0,
                 limit: int = 50) -> Page[MatchSummary]:
    """Matches, newest first; optionally only those of `snapshot_id` (with `versus`: only those between
    the two), in `state`, or played for `reason` (as the match was queued: "placement", "rating",
    "tournament", "manual"; "check": the re-plays of results by a second worker, listed only when asked
    for, `league.core.result_checks`)."""
    check_page(offset, limit)
    query = select(Match) if reason == "check" else select(Match).where(Match.verifies_match_id.is_(None))
    if versus is not None and snapshot_id is None:
        raise InvalidInput("versus needs snapshot_id: the matches between two snapshots")
    if snapshot_id is not None and versus is not None:
        if versus == snapshot_id:
            raise InvalidInput(f"a snapshot plays no matches against itself ({snapshot_id})")
        load_snapshot(session, snapshot_id)
        load_snapshot(session, versus)
        query = query.where(or_(and_(Match.snapshot_a_id == snapshot_id, Match.snapshot_b_id == versus),
                                and_(Match.snapshot_a_id == versus, Match.snapshot_b_id == snapshot_id)))
    elif snapshot_id is not None:
        load_snapshot(session, snapshot_id)
        query = query.where(or_(Match.snapshot_a_id == snapshot_id, Match.snapshot_b_id == snapshot_id))
    if reason is not None:
        query = query.where(Match.reason == reason)
    if state is not None:
        if state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}, got {state!r}")
        query = query.where(Match.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    matches = list(session.scalars(query.order_by(Match.id.desc()).offset(offset).limit(limit)))
    return Page(items=_summaries(session, matches), total=total, offset=offset, limit=limit)


def load_match(session: Session, match_id: int, *, for_update: bool = False) -> Match:
    query = select(Match).where(Match.id == match_id)
    match = session.scalar(query.with_for_update() if for_update else query)
    if match is None:
        raise NotFound(f"no match (job) with id {match_id}")
    return match


def get_match(session: Session, match_id: int) -> MatchDetail:
    """A match with its games; `NotFound` if there is none."""
    match = load_match(session, match_id)
    games = list(session.scalars(select(Game).where(Game.match_id == match_id).order_by(Game.index)))
    recorded = set(session.scalars(select(GameRecord.game_id).where(GameRecord.game_id.in_([g.id for g in games]))))
    summary = _summaries(session, [match])[0]
    return MatchDetail(**summary.model_dump(), games=[to_game_info(g, match, g.id in recorded) for g in games])


def get_game(session: Session, game_id: int) -> GameInfo:
    game = session.get(Game, game_id)
    if game is None:
        raise NotFound(f"no game with id {game_id}")
    has_record = session.scalar(select(GameRecord.game_id).where(GameRecord.game_id == game_id)) is not None
    return to_game_info(game, session.get_one(Match, game.match_id), has_record)


def get_game_record(session: Session, game_id: int) -> dict[str, Any]:
    """The replay record of a game as its JSON dict; `NotFound` if the game or its record is missing."""
    game = get_game(session, game_id)
    if withheld(session.get_one(Match, game.match_id)):
        raise NotFound(f"game {game_id}'s record is shown once other workers have checked its result")
    data = session.scalar(select(GameRecord.data).where(GameRecord.game_id == game.id))
    if data is None:
        raise NotFound(f"game {game_id} has no record")
    return decompress_record(data)

