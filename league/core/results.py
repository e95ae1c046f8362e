"""Recording a match result: validate the reported games, rate them, update every aggregate.

Every game a worker reports carries its record, except a forfeit (the game was not played out):
the server replays each record from its seed (`replay_records`, before any transaction, so no
lock is held while Box2D runs) and refuses a result whose physics, mode, seed, sides, length or
result differ from what the record and the planned game say. The replay proves the physics, not
that the actions came from the snapshots: `league.core.result_checks` has a share of matches
played again by another worker for that.

Everything else runs inside the caller's write transaction with the match row locked, so a
result is either recorded completely (games, records, ratings, history, head-to-head,
worker counts) or not at all.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from league.core.db import is_sqlite
from league.core.errors import InvalidInput
from league.core.game import LEAGUE_KEEP_MODE, LEAGUE_MODE, replay_record, validate_record
from league.core.models import Game, GameRecord, Match, PairStats, Rating, RatingChange, Tournament
from league.core.rating import Skill, pair_draw_probability, rate_game
from league.core.schemas import GameReport, MatchResult
from league.core.settings import Settings

MAX_GAME_LENGTH = 10_000
DEFAULT_RECORD_MAX_BYTES = Settings.model_fields["record_max_bytes"].default
_EXPECTED_WINNER = {"goal": (1, -1), "time_limit": (0,)}
FORFEIT_WINNER = {1: -1, 2: 1, 0: 0}  # failing side -> winner (player one's view)
BOTH_FAILED = 0  # the failing side of a forfeit by both: stored (a draw in a tournament's table), never rated


def parse_result(result: MatchResult | dict) -> MatchResult:
    if isinstance(result, MatchResult):
        return result
    try:
        return MatchResult.model_validate(result)
    except Exception as error:  # pydantic's message names the field
        raise InvalidInput(f"malformed match result: {error}") from None


def result_digest(result: MatchResult, records: dict[int, bytes] | None = None) -> str:
    """A fingerprint of a result, to tell a repeated report from a different one: the games without
    their records, then each record as stored (`encode_records`, passed in when already encoded)."""
    if records is None:
        records = encode_records(result.games, max_bytes=2**62)
    games = [game.model_dump(mode="json", exclude={"record"}) for game in result.games]
    digest = hashlib.sha256(json.dumps(games, sort_keys=True, separators=(",", ":")).encode())
    for index in sorted(records):
        digest.update(b"\n%d:" % index)
        digest.update(records[index])
    return digest.hexdigest()


def replay_records(result: MatchResult) -> None:
    """Replay every record of `result` from its seed (`InvalidInput` naming the first game whose
    record is malformed or does not replay exactly). Runs outside any transaction: it is CPU-bound."""
    for report in result.games:
        if report.record is None:
            continue
        try:
            replay_record(report.record)
        except ValueError as error:
            raise InvalidInput(f"game {report.index} record: {error}") from None


def check_games(match: Match, games: list[Game], result: MatchResult) -> list[GameReport]:
    """The reports in game order, after checking they fit the planned games and that each record is
    well formed; `InvalidInput` if not."""
    if len(result.games) != match.n_games:
        raise InvalidInput(f"job {match.id} has {match.n_games} games, the result reports {len(result.games)}")
    by_index = {report.index: report for report in result.games}
    if sorted(by_index) != list(range(match.n_games)):
        raise InvalidInput(f"game indices must be 0 to {match.n_games - 1}, each once; got "
                           f"{sorted(r.index for r in result.games)}")
    for game in games:
        _check_report(game, by_index[game.index])
    return [by_index[i] for i in range(match.n_games)]


def _check_report(game: Game, report: GameReport) -> None:
    where = f"game {report.index}"
    if report.length > MAX_GAME_LENGTH:
        raise InvalidInput(f"{where}: length {report.length} is over {MAX_GAME_LENGTH}")
    if report.end_reason == "forfeit":
        if report.forfeit_side is None:
            raise InvalidInput(f"{where}: a forfeit names the failing side (forfeit_side 1, 2 or 0 for both)")
        if report.winner != FORFEIT_WINNER[report.forfeit_side]:
            raise InvalidInput(f"{where}: side {report.forfeit_side} forfeited, so winner must be "
                               f"{FORFEIT_WINNER[report.forfeit_side]}, not {report.winner}")
    else:
        if report.forfeit_side is not None:
            raise InvalidInput(f"{where}: forfeit_side is only for end_reason 'forfeit'")
        if report.winner not in _EXPECTED_WINNER[report.end_reason]:
            raise InvalidInput(f"{where}: end reason {report.end_reason!r} does not fit winner {report.winner}")
    if report.record is not None:
        _check_record(game, report, report.record)
    elif report.end_reason != "forfeit":
        raise InvalidInput(f"{where}: every played game carries its record (the server replays it); only a "
                           "forfeit may come without one")


def _check_record(game: Game, report: GameReport, record: dict[str, Any]) -> None:
    where = f"game {report.index} record"
    try:
        validate_record(record)
    except ValueError as error:
        raise InvalidInput(f"{where}: {error}") from None
    expected = {"mode": LEAGUE_MODE, "keep_mode": LEAGUE_KEEP_MODE, "seed": game.seed,
                "one_starting": game.one_starting, "winner": report.winner, "length": report.length,
                "end_reason": report.end_reason}
    for key, value in expected.items():
        if record.get(key) != value:
            raise InvalidInput(f"{where}: {key} is {record.get(key)!r}, expected {value!r}")


def _pair_row(session: Session, a_id: int, b_id: int) -> PairStats:
    low, high = sorted((a_id, b_id))
    insert = sqlite.insert if is_sqlite(str(session.get_bind().engine.url)) else postgresql.insert
    session.execute(insert(PairStats).values(low_id=low, high_id=high, games=0, low_wins=0, draws=0, high_wins=0)
                    .on_conflict_do_nothing())
    return session.scalars(select(PairStats).where(PairStats.low_id == low, PairStats.high_id == high)
                           .with_for_update().execution_options(populate_existing=True)).one()


def encode_records(reports: list[GameReport], max_bytes: int) -> dict[int, bytes]:
    """Each report's record as stored (compact JSON, the format of `league.core.matches.compress_record`),
    by game index; `InvalidInput` for one over `max_bytes`."""
    encoded = {}
    for report in reports:
        if report.record is not None:
            data = json.dumps(report.record, separators=(",", ":")).encode()
            if len(data) > max_bytes:
                raise InvalidInput(f"game {report.index} record: {len(data)} bytes as JSON, more than the limit of "
                                   f"{max_bytes} (LEAGUE_RECORD_MAX_BYTES)")
            encoded[report.index] = data
    return encoded


def record_result(session: Session, match: Match, reports: list[GameReport], now: datetime, *,
                  record_max_bytes: int = DEFAULT_RECORD_MAX_BYTES, records: dict[int, bytes] | None = None,
                  games: list[Game] | None = None, defer_forfeits: bool = False) -> None:
    """Store and rate every game of `match` in order (inside the caller's write transaction).

    The games of an unrated tournament are stored but change no rating, count or head-to-head;
    with `defer_forfeits` (a worker's report) neither do its forfeits until a check confirms them
    (`league.core.result_checks`); a forfeit by both sides is never rated (it says nothing of either).
    Records over `record_max_bytes` (as compact JSON) are refused before anything is stored
    (`records`: already encoded by `encode_records`; `games`: the match's games in order, already read).
    Records and rating changes are inserted in one statement each.
    """
    if records is None:
        records = encode_records(reports, record_max_bytes)
    if games is None:
        games = list(session.scalars(select(Game).where(Game.match_id == match.id).order_by(Game.index)))
    fill_games(games, reports, now)
    stored = []
    for game, report in zip(games, reports, strict=True):
        if report.record is not None:
            stored.append({"game_id": game.id, "data": zlib.compress(records[report.index], 6)})
    if stored:
        session.execute(insert(GameRecord), stored)
    if match.tournament_id is not None and not session.get_one(Tournament, match.tournament_id).rated:
        return
    rate_games(session, match, [g for g in games if g.end_reason != "forfeit"
                                or (not defer_forfeits and g.forfeit_side != BOTH_FAILED)], now)


def fill_games(games: list[Game], reports: list[GameReport], now: datetime) -> None:
    """Write each report's outcome into its planned game (both in game order)."""
    for game, report in zip(games, reports, strict=True):
        game.winner, game.length, game.end_reason = report.winner, report.length, report.end_reason
        game.forfeit_side, game.played_at = report.forfeit_side, now


def rate_games(session: Session, match: Match, games: list[Game], now: datetime) -> None:
    """Rate played games of `match` in order (inside the caller's write transaction): ratings, counts,
    head-to-head and rating history; each game is marked `rated`."""
    if not games:
        return
    a_id, b_id = match.snapshot_a_id, match.snapshot_b_id
    ratings = {r.snapshot_id: r for r in session.scalars(
        select(Rating).where(Rating.snapshot_id.in_((a_id, b_id))).order_by(Rating.snapshot_id)
        .with_for_update().execution_options(populate_existing=True))}
    pair = _pair_row(session, a_id, b_id)
    changes: list[dict[str, Any]] = []
    for game in games:
        changes.extend(apply_game(game, match, ratings, pair, now))
    session.execute(insert(RatingChange), changes)


def apply_game(game: Game, match: Match, ratings: dict[int, Rating], pair: PairStats, now: datetime
               ) -> list[dict[str, Any]]:
    """Rate one played game of `match` on the rows in hand (its two ratings and their pair): the new
    skills, counts and head-to-head; returns its two rating-history rows (to insert) and marks it rated."""
    a_id, b_id = match.snapshot_a_id, match.snapshot_b_id
    assert game.winner is not None, "only a played game is rated"
    outcome_a = game.winner if game.a_is_player_one else -game.winner
    ra, rb = ratings[a_id], ratings[b_id]
    new_a, new_b = rate_game(Skill(ra.mu, ra.sigma), Skill(rb.mu, rb.sigma), outcome_a,
                             pair_draw_probability(pair.games, pair.draws))
    changes = []
    for rating, new in ((ra, new_a), (rb, new_b)):
        changes.append({"snapshot_id": rating.snapshot_id, "match_id": match.id, "game_id": game.id,
                        "mu_before": rating.mu, "sigma_before": rating.sigma, "mu_after": new.mu,
                        "sigma_after": new.sigma, "created_at": now})
        rating.mu, rating.sigma = new.mu, new.sigma
    count_game(ra, rb, pair, outcome_a, game.a_is_player_one, game.end_reason, game.forfeit_side, now)
    game.rated = True
    return changes


def count_game(ra: Rating, rb: Rating, pair: PairStats, outcome_a: int, a_is_player_one: bool,
               end_reason: str | None, forfeit_side: int | None, when: datetime) -> None:
    """Count one rated game (snapshot a's outcome) in both ratings' W/D/L and forfeits and in their pair."""
    for rating, outcome, side in ((ra, outcome_a, 1 if a_is_player_one else 2),
                                  (rb, -outcome_a, 2 if a_is_player_one else 1)):
        rating.games += 1
        rating.wins += outcome == 1
        rating.draws += outcome == 0
        rating.losses += outcome == -1
        rating.forfeits += end_reason == "forfeit" and forfeit_side in (0, side)
        rating.last_played_at = when if rating.last_played_at is None else max(rating.last_played_at, when)
    pair.games += 1
    pair.draws += outcome_a == 0
    if outcome_a != 0:
        low_won = (outcome_a == 1) == (ra.snapshot_id < rb.snapshot_id)
        pair.low_wins += low_won
        pair.high_wins += not low_won
    pair.last_played_at = when if pair.last_played_at is None else max(pair.last_played_at, when)
