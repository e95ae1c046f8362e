"""A tournament's results while it runs and at the end: standings, crosstable, strengths, export.

Standings are by score (a win 1, a draw 1/2), ties broken by the strength estimate, then by
snapshot id. The estimate and its 95 % interval come from `league.core.tournament_stats`
(Davidson's Bradley-Terry model with ties, bootstrap over games with a generator seeded by the
tournament's seed). Export is the detail as JSON, or CSV of the standings or of the games.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from league.core.errors import InvalidInput
from league.core.matches import UNDER_CHECK
from league.core.models import Game, Match, Snapshot, TournamentParticipant
from league.core.tournament_schemas import (
    CrossCell,
    CrossRow,
    Standing,
    TournamentDetail,
    TournamentGame,
    TournamentMatch,
)
from league.core.tournament_stats import PairCounts, estimate
from league.core.tournaments import load_tournament, summaries

RESULT_NAMES = {1: "win", 0: "draw", -1: "loss"}
STANDINGS_COLUMNS = ("rank", "snapshot_id", "name", "field", "games", "score", "wins", "draws", "losses",
                     "estimate", "estimate_low", "estimate_high")
GAMES_COLUMNS = tuple(TournamentGame.model_fields)


@dataclass
class _Tally:
    games: int = 0
    wins: int = 0
    draws: int = 0
    losses: int = 0
    against: dict[int, list[int]] = field(default_factory=dict)  # opponent -> [wins, draws, losses]

    def add(self, opponent: int, outcome: int) -> None:
        self.games += 1
        self.wins += outcome == 1
        self.draws += outcome == 0
        self.losses += outcome == -1
        self.against.setdefault(opponent, [0, 0, 0])[1 - outcome] += 1

    @property
    def score(self) -> float:
        return self.wins + self.draws / 2


def a_outcome(winner: int | None, a_is_player_one: bool) -> int:
    """Snapshot a's result (+1, 0, -1) from a played game's winner (player one's view)."""
    if winner is None:
        raise ValueError("the game has not been played")
    return winner if a_is_player_one else -winner


def counted_game() -> ColumnElement[bool]:
    """Played games a tournament counts: all but a worker's forfeits still waiting for a check to
    confirm them (`league.core.result_checks`)."""
    return or_(Game.end_reason != "forfeit", Match.check_state.is_(None), Match.check_state.not_in(UNDER_CHECK))


def tournament_games(session: Session, tournament_id: int) -> list[TournamentGame]:
    """The played games of a tournament, in match and game order."""
    rows = session.execute(
        select(Game, Match.snapshot_a_id, Match.snapshot_b_id).join(Match, Match.id == Game.match_id)
        .where(Match.tournament_id == tournament_id, Game.winner.is_not(None), counted_game())
        .order_by(Match.id, Game.index))
    games = []
    for game, a_id, b_id in rows:
        outcome = a_outcome(game.winner, game.a_is_player_one)
        games.append(TournamentGame(
            match_id=game.match_id, game_id=game.id, index=game.index, seed=game.seed,
            one_starting=game.one_starting, snapshot_a_id=a_id, snapshot_b_id=b_id,
            player_one_id=a_id if game.a_is_player_one else b_id, result_a=RESULT_NAMES[outcome],
            end_reason=game.end_reason, length=game.length))
    return games


def _outcome(game: TournamentGame) -> int:
    return {"win": 1, "draw": 0, "loss": -1}[game.result_a]


def tournament_detail(session: Session, tournament_id: int) -> TournamentDetail:
    """Summary, standings (best first), crosstable in standings order, draw parameter and matches."""
    tournament = load_tournament(session, tournament_id)
    summary = summaries(session, [tournament])[0]
    members = list(session.execute(
        select(TournamentParticipant.snapshot_id, TournamentParticipant.field, Snapshot.name)
        .join(Snapshot, Snapshot.id == TournamentParticipant.snapshot_id)
        .where(TournamentParticipant.tournament_id == tournament_id).order_by(TournamentParticipant.position)))
    ids = [m[0] for m in members]
    position = {snapshot_id: k for k, snapshot_id in enumerate(ids)}
    games = tournament_games(session, tournament_id)
    tallies = {snapshot_id: _Tally() for snapshot_id in ids}
    for game in games:
        outcome = _outcome(game)
        tallies[game.snapshot_a_id].add(game.snapshot_b_id, outcome)
        tallies[game.snapshot_b_id].add(game.snapshot_a_id, -outcome)
    counts = PairCounts.from_games(len(ids), [(position[g.snapshot_a_id], position[g.snapshot_b_id], _outcome(g))
                                             for g in games])
    fitted = estimate(counts, seed=tournament.seed) if games else None
    order = sorted(ids, key=lambda s: (-tallies[s].score,
                                       -(fitted.strength[position[s]] if fitted else 0.0), s))
    standings = []
    for rank, snapshot_id in enumerate(order, start=1):
        tally, k = tallies[snapshot_id], position[snapshot_id]
        standings.append(Standing(
            rank=rank, snapshot_id=snapshot_id, name=members[k][2], field=members[k][1], games=tally.games,
            score=tally.score, wins=tally.wins, draws=tally.draws, losses=tally.losses,
            estimate=round(float(fitted.strength[k]), 1) if fitted else None,
            estimate_low=round(float(fitted.low[k]), 1) if fitted else None,
            estimate_high=round(float(fitted.high[k]), 1) if fitted else None))
    scheduled = {frozenset((m.snapshot_a_id, m.snapshot_b_id)) for m in session.scalars(
        select(Match).where(Match.tournament_id == tournament_id))} | {
        frozenset((g.snapshot_a_id, g.snapshot_b_id)) for g in games}
    crosstable = [CrossRow(snapshot_id=row, name=members[position[row]][2], cells=[
        _cell(tallies[row], column) if column != row and frozenset((row, column)) in scheduled else None
        for column in order]) for row in order]
    return TournamentDetail(**summary.model_dump(), draw_nu=round(fitted.draw_nu, 4) if fitted else None,
                            standings=standings, crosstable=crosstable, matches=_matches(session, tournament_id))


def _cell(tally: _Tally, opponent: int) -> CrossCell:
    wins, draws, losses = tally.against.get(opponent, [0, 0, 0])
    return CrossCell(opponent_id=opponent, games=wins + draws + losses, score=wins + draws / 2, wins=wins,
                     draws=draws, losses=losses)


def _matches(session: Session, tournament_id: int) -> list[TournamentMatch]:
    matches = list(session.scalars(select(Match).where(Match.tournament_id == tournament_id).order_by(Match.id)))
    rows = session.execute(
        select(Game.match_id, Game.winner, Game.a_is_player_one).join(Match, Match.id == Game.match_id)
        .where(Match.tournament_id == tournament_id, Game.winner.is_not(None), counted_game()))
    played: dict[int, list[float]] = {}
    for match_id, winner, a_is_one in rows:
        outcome = a_outcome(winner, a_is_one)
        entry = played.setdefault(match_id, [0, 0.0])
        entry[0] += 1
        entry[1] += (outcome + 1) / 2
    return [TournamentMatch(id=m.id, state=m.state, snapshot_a_id=m.snapshot_a_id, snapshot_b_id=m.snapshot_b_id,
                            n_games=m.n_games, games_played=int(played.get(m.id, [0, 0.0])[0]),
                            a_score=played.get(m.id, [0, 0.0])[1]) for m in matches]


def export_tournament(session: Session, tournament_id: int, format: str, table: str = "standings") -> str:
    """The tournament as JSON (detail and games) or as CSV (`table`: standings or games)."""
    detail = tournament_detail(session, tournament_id)
    games = tournament_games(session, tournament_id)
    if format == "json":
        body = {**detail.model_dump(mode="json"), "games": [g.model_dump(mode="json") for g in games]}
        return json.dumps(body, indent=1)
    if format != "csv":
        raise InvalidInput(f"export format is csv or json, not {format!r}")
    if table not in ("standings", "games"):
        raise InvalidInput(f"a CSV export is of the standings or the games, not {table!r}")
    out = io.StringIO()
    columns = STANDINGS_COLUMNS if table == "standings" else GAMES_COLUMNS
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in (detail.standings if table == "standings" else games):
        writer.writerow(row.model_dump(mode="json", include=set(columns)))
    return out.getvalue()
