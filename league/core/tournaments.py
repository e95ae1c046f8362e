"""Tournaments: a fixed schedule of matches between chosen snapshots, played ahead of the league.

A tournament is a round robin (every pair of participants plays `games_per_pair` games) or a
gauntlet (each entrant plays `games_per_pair` games against each member of a fixed field). The
games of a pair are planned in mirrored pairs (`league.core.pairing.plan_games`: the same seed
twice, sides and starts swapped) from a random generator seeded by the tournament's seed and the
two snapshot ids, so the same participants and seed give the same games, whatever the order they
were listed in. A pair's games are split into matches of at most `MATCH_GAMES` games, queued
round by round (every pair's first match, then every pair's second, ...) so that the standings
fill in evenly while it runs.

The match workers play them like league matches; the queue hands out a running tournament's
matches first (`league.core.jobs.claim_job`), never a paused one's. Cancelling removes its
queued matches (a match already leased is still played and counted). A tournament reads as
`done` once none of its matches is queued or leased. Its games are rated in the league unless
it was created with `rated` false (`league.core.results.record_result`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from league.core.leaderboard import leaderboard
from league.core.models import Agent, Game, Match, Snapshot, Tournament, TournamentParticipant, User, utcnow
from league.core.pairing import GamePlan, plan_games
from league.core.tournament_schemas import TournamentSummary
from league.core.users import ADMIN_USER, Actor

FORMATS = ("round_robin", "gauntlet")
MATCH_GAMES = 10  # games per match job: a pair's games are split into matches of at most this many
MAX_GAMES_PER_PAIR = 1000
MAX_GAMES_TOTAL = 200_000
MAX_SEED = 2**63 - 1
MAX_ROW_ID = 2**31 - 1  # the largest id of an integer key column
OPEN_STATES = ("queued", "leased")
NAME_MAX = 200
NAME_PATTERN = r"^[^\x00-\x1f\x7f]{1,200}$"  # one line of printable characters
DEFAULT_REMOTE_DEADLINE_S = 24 * 3600  # a remote participant has a day to play its games
MAX_REMOTE_DEADLINE_S = 90 * 24 * 3600


def pair_rng(seed: int, a_id: int, b_id: int) -> random.Random:
    """The generator that plans the games of the pair (a, b) in a tournament with `seed`."""
    low, high = sorted((a_id, b_id))
    return random.Random(f"tournament:{seed}:{low}:{high}")


def pair_games(seed: int, a_id: int, b_id: int, games_per_pair: int) -> list[GamePlan]:
    """The planned games of a pair: mirrored pairs, the same for the same seed and snapshots."""
    return plan_games(games_per_pair, pair_rng(seed, a_id, b_id))


def schedule_pairs(format: str, entrants: Sequence[int], field: Sequence[int]) -> list[tuple[int, int]]:
    """The pairs that play, each as (lower id, higher id), in a fixed order."""
    if format == "round_robin":
        ids = sorted(entrants)
        return [(a, b) for k, a in enumerate(ids) for b in ids[k + 1:]]
    return [(min(e, f), max(e, f)) for e in sorted(entrants) for f in sorted(field)]


def _check_ids(what: str, ids: object) -> list[int]:
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InvalidInput(f"{what} must be a list of snapshot ids")
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InvalidInput(f"{what} lists snapshot {', '.join(map(str, repeated))} more than once")
    return ids


def _top_ids(session: Session, top: object) -> list[int]:
    if not isinstance(top, int) or isinstance(top, bool) or top < 2:
        raise InvalidInput(f"participants {{\"top\": N}} needs N of at least 2, not {top!r}")
    board = leaderboard(session)
    if len(board) < top:
        raise InvalidInput(f"the leaderboard has only {len(board)} active snapshots, fewer than the top {top} asked for")
    return [row.snapshot_id for row in board[:top]]


def _load_participants(session: Session, ids: list[int], by: Actor | None) -> None:
    storable = [i for i in ids if 1 <= i <= MAX_ROW_ID]  # others name no row (and overflow the column)
    found = {s.id: s for s in session.scalars(select(Snapshot).where(Snapshot.id.in_(storable)))}
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise InvalidInput(f"no snapshot with id {', '.join(map(str, unknown))}")
    retired = [found[i].name for i in ids if not found[i].active]
    if retired:
        raise Conflict(f"snapshot {', '.join(map(repr, retired))} is retired; re-activate it first")
    if by is not None and not by.is_admin:
        owners = dict(session.execute(select(Snapshot.id, User.name).join(Agent, Agent.id == Snapshot.agent_id)
                                      .join(User, User.id == Agent.owner_id).where(Snapshot.id.in_(ids))).all())
        others = [found[i].name for i in ids if owners[i] != by.user]
        if others:
            raise Forbidden(f"a tournament of {by.user!r} has only its own snapshots (an admin's may have any); "
                            f"not {', '.join(map(repr, others))}")


def _check_steer(tournament: Tournament, by: Actor | None) -> None:
    if by is not None and not by.is_admin and by.user != tournament.created_by:
        raise Forbidden(f"tournament {tournament.id} belongs to {tournament.created_by!r}; only they or an admin "
                        "may pause, resume or cancel it")


def _check_deadline(remote_deadline_s: object) -> int:
    if (not isinstance(remote_deadline_s, int) or isinstance(remote_deadline_s, bool)
            or not 1 <= remote_deadline_s <= MAX_REMOTE_DEADLINE_S):
        raise InvalidInput(f"remote_deadline_s is a whole number of seconds from 1 to {MAX_REMOTE_DEADLINE_S} "
                           f"(90 days), not {remote_deadline_s!r}")
    return remote_deadline_s


def _check_settings(name: object, format: object, games_per_pair: object, seed: object) -> str:
    if not isinstance(name, str) or not name.strip() or not re.fullmatch(NAME_PATTERN, name):
        raise InvalidInput(f"a tournament's name is one line of 1 to {NAME_MAX} printable characters")
    if format not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    if (not isinstance(games_per_pair, int) or isinstance(games_per_pair, bool) or games_per_pair < 2
            or games_per_pair % 2 or games_per_pair > MAX_GAMES_PER_PAIR):
        raise InvalidInput(f"games_per_pair must be an even number from 2 to {MAX_GAMES_PER_PAIR} (games are "
                           f"played in mirrored pairs), not {games_per_pair!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise InvalidInput(f"seed must be an integer from 0 to {MAX_SEED}, not {seed!r}")
    return name.strip()


def create_tournament(session: Session, *, name: str, participants: list[int] | dict, format: str = "round_robin",
                      games_per_pair: int, seed: int, rated: bool = True, field: list[int] | None = None,
                      by: Actor | None = None, remote_deadline_s: int = DEFAULT_REMOTE_DEADLINE_S,
                      now: datetime | None = None) -> TournamentSummary:
    """Create a tournament and queue all its matches; returns its summary.

    A remote participant plays its games while it is connected; `remote_deadline_s` after `now`
    (the tournament's creation) its games still queued while it is offline become its forfeits
    (`league.core.tournament_deadline`).

    `participants` is a list of snapshot ids or `{"top": N}` (the top N of the leaderboard); in a
    gauntlet they are the entrants and `field` the fixed field they each play. Raises
    `InvalidInput` for a bad name, format, games_per_pair or seed, unknown or repeated snapshots,
    fewer than two participants (a gauntlet: no entrant or no field, or one in both), `Conflict`
    for a retired snapshot, `Forbidden` when `by` is not an admin and a snapshot is not of a lineage
    of theirs. `by` None is the league's operator.
    """
    name = _check_settings(name, format, games_per_pair, seed)
    deadline = (now or utcnow()) + timedelta(seconds=_check_deadline(remote_deadline_s))
    with write_transaction(session):
        if isinstance(participants, dict):
            if set(participants) != {"top"}:
                raise InvalidInput('participants is a list of snapshot ids or {"top": N}')
            entrants = _top_ids(session, participants["top"])
        else:
            entrants = _check_ids("participants", participants)
        field_ids = _check_ids("field", field if field is not None else [])
        if format == "round_robin":
            if field_ids:
                raise InvalidInput("a round robin has no field; list everyone in participants")
            if len(entrants) < 2:
                raise InvalidInput(f"a round robin needs at least two participants, got {len(entrants)}")
        else:
            if not entrants or not field_ids:
                raise InvalidInput("a gauntlet needs at least one participant and a field of at least one snapshot")
            both = sorted(set(entrants) & set(field_ids))
            if both:
                raise InvalidInput(f"snapshot {', '.join(map(str, both))} is both a participant and in the field")
        _load_participants(session, entrants + field_ids, by)
        pairs = schedule_pairs(format, entrants, field_ids)
        if len(pairs) * games_per_pair > MAX_GAMES_TOTAL:
            raise InvalidInput(f"{len(pairs)} pairs of {games_per_pair} games is over {MAX_GAMES_TOTAL} games")
        tournament = Tournament(name=name, format=format, games_per_pair=games_per_pair, seed=seed, rated=rated,
                                state="running", created_by=by.user if by else ADMIN_USER,
                                remote_deadline_at=deadline)
        session.add(tournament)
        session.flush()
        for position, snapshot_id in enumerate(entrants + field_ids):
            session.add(TournamentParticipant(tournament_id=tournament.id, snapshot_id=snapshot_id,
                                              position=position, field=snapshot_id in field_ids))
        _queue_matches(session, tournament, pairs)
        return summaries(session, [tournament])[0]


def _queue_matches(session: Session, tournament: Tournament, pairs: list[tuple[int, int]]) -> None:
    plans = {pair: pair_games(tournament.seed, *pair, tournament.games_per_pair) for pair in pairs}
    for start in range(0, tournament.games_per_pair, MATCH_GAMES):
        for (a_id, b_id), games in plans.items():
            chunk = games[start:start + MATCH_GAMES]
            match = Match(snapshot_a_id=a_id, snapshot_b_id=b_id, n_games=len(chunk), reason="tournament",
                          state="queued", tournament_id=tournament.id)
            session.add(match)
            session.flush()
            for index, plan in enumerate(chunk):
                session.add(Game(match_id=match.id, index=index, seed=plan.seed, one_starting=plan.one_starting,
                                 a_is_player_one=plan.a_is_player_one))


def load_tournament(session: Session, tournament_id: int, *, for_update: bool = False) -> Tournament:
    query = select(Tournament).where(Tournament.id == tournament_id)
    tournament = session.scalar(query.with_for_update() if for_update else query)
    if tournament is None:
        raise NotFound(f"no tournament with id {tournament_id}")
    return tournament


def summaries(session: Session, tournaments: list[Tournament]) -> list[TournamentSummary]:
    """Summaries of `tournaments`, with progress counted in two grouped queries."""
    ids = [t.id for t in tournaments]
    open_matches = dict(session.execute(
        select(Match.tournament_id, func.count()).where(Match.tournament_id.in_(ids), Match.state.in_(OPEN_STATES))
        .group_by(Match.tournament_id)).all()) if ids else {}
    played = dict(session.execute(
        select(Match.tournament_id, func.count()).join(Game, Game.match_id == Match.id)
        .where(Match.tournament_id.in_(ids), Game.winner.is_not(None)).group_by(Match.tournament_id)).all()) if ids else {}
    members = session.execute(
        select(TournamentParticipant.tournament_id, TournamentParticipant.snapshot_id, TournamentParticipant.field)
        .where(TournamentParticipant.tournament_id.in_(ids))).all() if ids else []
    return [_summary(t, open_matches.get(t.id, 0), played.get(t.id, 0),
                     [(s, f) for tid, s, f in members if tid == t.id]) for t in tournaments]


def _summary(t: Tournament, open_matches: int, played: int, members: list[tuple[int, bool]]) -> TournamentSummary:
    state = t.state if t.state == "cancelled" or open_matches else "done"
    entrants = [s for s, f in members if not f]
    field = [s for s, f in members if f]
    total = len(schedule_pairs(t.format, entrants, field)) * t.games_per_pair
    return TournamentSummary(
        id=t.id, name=t.name, format=t.format, state=state, games_per_pair=t.games_per_pair, seed=t.seed,
        rated=t.rated, participants=len(members), games_played=played, games_total=total, created_by=t.created_by,
        created_at=t.created_at, remote_deadline_at=t.remote_deadline_at)


def list_tournaments(session: Session) -> list[TournamentSummary]:
    """Every tournament, newest first."""
    return summaries(session, list(session.scalars(select(Tournament).order_by(Tournament.id.desc()))))


def get_summary(session: Session, tournament_id: int) -> TournamentSummary:
    return summaries(session, [load_tournament(session, tournament_id)])[0]


def set_state(session: Session, tournament_id: int, action: str, by: Actor | None = None) -> TournamentSummary:
    """`pause`, `resume` or `cancel` a tournament; `Conflict` when its state does not allow it,
    `Forbidden` when `by` is neither an admin nor the user who created it.

    Cancelling removes its queued matches from the queue; a leased match is still played.
    """
    if action not in ("pause", "resume", "cancel"):
        raise InvalidInput(f"a tournament is paused, resumed or cancelled, not {action!r}")
    with write_transaction(session):
        tournament = load_tournament(session, tournament_id, for_update=True)
        _check_steer(tournament, by)
        state = summaries(session, [tournament])[0].state
        allowed = {"pause": ("running",), "resume": ("paused",), "cancel": ("running", "paused")}[action]
        if state not in allowed:
            raise Conflict(f"tournament {tournament_id} is {state}; only a {' or '.join(allowed)} one can be "
                           f"{'cancelled' if action == 'cancel' else action + 'd'}")
        if action == "cancel":
            queued = select(Match.id).where(Match.tournament_id == tournament.id, Match.state == "queued")
            session.execute(delete(Game).where(Game.match_id.in_(queued)))
            session.execute(delete(Match).where(Match.tournament_id == tournament.id, Match.state == "queued"))
        tournament.state = {"pause": "paused", "resume": "running", "cancel": "cancelled"}[action]
        session.flush()
        return summaries(session, [tournament])[0]


def claimable_matches():
    """A condition on `Match`: a league match, or one of a running tournament (not paused or cancelled)."""
    running = select(Tournament.id).where(Tournament.state == "running")
    return Match.tournament_id.is_(None) | Match.tournament_id.in_(running)
