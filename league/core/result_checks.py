"""Checks of reported results: a share of matches is played again by a different worker and compared.

A record's replay proves the physics, not that the actions came from the snapshots: a worker can
invent actions that replay perfectly. Snapshots act deterministically in matches, so the same
games played on another worker's machine must end the same way. After a worker's result of an
ordinary match (no remote side), a *check* is planned with probability `Settings.check_share`, and
always when the result holds a forfeit: a match row with `verifies_match_id` set, the same
snapshots, seeds, sides and starts, queued like any job (a worker cannot tell a check from a
match), never rated or listed, and claimable only by a token that reported none of the results it
compares, or by another token of its user (`claimable_checks`). While a result is being checked,
its games' lengths and records are not shown (`league.core.matches`), nor are a check's: a checker
cannot copy the answer.

When the check's result arrives it is compared game by game (winner, length, end reason, failing
side) with the checked match:
- the same: the match is *confirmed*; its forfeits, held back until now, are rated;
- different: the match is *disputed* and a deciding check is planned, for a third token;
- the deciding check agrees with the match: the match is confirmed, the first check is outvoted;
- it agrees with the first check: the match's result is outvoted and the match is played again
  (no blame when a forfeit is part of the disagreement, in any of the three: a policy that fails
  on one machine and not on another is not a forged result);
- it agrees with neither: nobody can be blamed; the match is played again.
Checks compare outcomes, not actions: a neural policy's actions differ in their last bits with the
batch it was computed in, and now and then such a difference changes a game. So one outvoted
result costs a worker nothing but that result; a worker is *caught* once `CATCH_MIN_OUTVOTED` of
its checked results, and more than `CATCH_OUTVOTED_SHARE` of them, were outvoted: it loses its
token and every result it reported (they are played again), and every rating is recomputed from the
games that remain (`league.core.revocation.catch_worker`). A check that waits `check_wait_s` for a
worker that may play it is dropped (`drop_stale_checks`).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select
from sqlalchemy.orm import Session, aliased

from league.core.kinds.remote import NAME as REMOTE_KIND
from league.core.matches import load_match
from league.core.models import ApiToken, Game, Match, Snapshot, Tournament
from league.core.results import BOTH_FAILED, rate_games
from league.core.revocation import catch_worker, recompute_ratings, reopen_match
from league.core.schemas import GameReport
from league.core.settings import Settings
from league.core.users import ADMIN_USER

CHECK_REASON = "check"
CATCH_MIN_OUTVOTED = 3  # results two other workers outvoted before a worker is caught ...
CATCH_OUTVOTED_SHARE = 0.25  # ... and more than this share of its own checked results
SUSPECT_CHECK_SHARE = 0.5  # the share of a worker's results checked once one of them was outvoted

Outcome = tuple[int | None, int | None, str | None, int | None]


def claimable_checks(session: Session, token_id: int | None) -> ColumnElement[bool]:
    """The matches a worker under `token_id` may claim: every match that is not a check, and a check
    only when none of the results it compares (the checked match's, an earlier check's) was reported
    under that token or another token of its user (the league's own `admin` user excepted: the
    operator's workers are its own machines, told apart by token). A caller without a token never
    gets a check."""
    if token_id is None:
        return Match.verifies_match_id.is_(None)
    caller = session.get(ApiToken, token_id)
    if caller is None or caller.user.name == ADMIN_USER:
        mine = select(ApiToken.id).where(ApiToken.id == token_id)
    else:
        mine = select(ApiToken.id).where(ApiToken.user_id == caller.user_id)
    compared = aliased(Match)
    return or_(Match.verifies_match_id.is_(None), ~exists().where(
        or_(compared.id == Match.verifies_match_id, compared.verifies_match_id == Match.verifies_match_id),
        compared.state == "done", compared.lease_token_id.in_(mine)))


def wants_check(session: Session, match: Match, reports: list[GameReport], token_id: int | None,
                settings: Settings, rng: random.Random | None = None) -> bool:
    """Whether a worker's result of `match` gets a check: an ordinary match (not itself a check, no
    remote side) reported under a token, always with a forfeit, else with probability `check_share`."""
    if match.verifies_match_id is not None or token_id is None:
        return False
    kinds = session.scalars(select(Snapshot.kind).where(Snapshot.id.in_((match.snapshot_a_id, match.snapshot_b_id))))
    if REMOTE_KIND in set(kinds):
        return False  # the gateway plays a remote agent's games itself; no worker can play them again
    if any(report.end_reason == "forfeit" for report in reports):
        return True
    share = settings.check_share
    token = session.get(ApiToken, token_id)
    if token is not None and token.results_outvoted:
        share = max(share, SUSPECT_CHECK_SHARE)  # once outvoted, a worker's results are checked far more often
    return (rng or random).random() < share


def plan_check(session: Session, match: Match) -> Match:
    """Queue a check of `match`: its snapshots, seeds, sides and starts (inside the caller's transaction)."""
    check = Match(snapshot_a_id=match.snapshot_a_id, snapshot_b_id=match.snapshot_b_id, n_games=match.n_games,
                  reason=CHECK_REASON, verifies_match_id=match.id, game_version=match.game_version)
    session.add(check)
    session.flush()
    games = session.scalars(select(Game).where(Game.match_id == match.id).order_by(Game.index))
    session.add_all(Game(match_id=check.id, index=g.index, seed=g.seed, one_starting=g.one_starting,
                         a_is_player_one=g.a_is_player_one) for g in games)
    if match.check_state is None:
        match.check_state = "pending"
    return check


def _outcomes(session: Session, match_id: int) -> list[Outcome]:
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(Game.winner, Game.length, Game.end_reason, Game.forfeit_side)
        .where(Game.match_id == match_id).order_by(Game.index))]


def settle_check(session: Session, check: Match, now: datetime) -> str:
    """Compare a reported check with the match it checks (inside the caller's write transaction, the
    check's result already stored); returns what was decided: "confirmed", "disputed", "outvoted" (the
    match is played again), "caught" (its reporter or the first checker lost every result), "replayed"
    (nobody agrees, or a forfeit is part of the disagreement) or "stale" (the checked result was revoked
    meanwhile). The check itself may be gone afterwards (a re-opened match's checks are deleted)."""
    assert check.verifies_match_id is not None
    original = load_match(session, check.verifies_match_id, for_update=True)
    if original.state != "done" or original.check_state not in ("pending", "disputed"):
        return "stale"
    mine, theirs = _outcomes(session, check.id), _outcomes(session, original.id)
    if original.check_state == "pending":
        if mine == theirs:
            _tally(session, original.lease_token_id, outvoted=False)
            _confirm(session, original, now)
            return "confirmed"
        original.check_state = "disputed"
        plan_check(session, original)
        return "disputed"
    first = session.scalar(select(Match).where(
        Match.verifies_match_id == original.id, Match.state == "done", Match.id != check.id).order_by(Match.id))
    if first is None:  # cannot happen: a dispute needs a first check
        return "stale"
    earlier = _outcomes(session, first.id)
    # a policy that fails on one machine and not on another (a download, a time budget) is nobody's forgery
    blameless = _forfeit_in_dispute(theirs, earlier, mine)
    if mine == theirs:  # the first check was wrong
        if not blameless:
            _tally(session, original.lease_token_id, outvoted=False)
        caught = not blameless and _outvoted(session, first.lease_token_id, now, f"its check of match {original.id}")
        _confirm(session, original, now)
        return "caught" if caught else "confirmed"
    if mine == earlier and not blameless:  # the reported result was wrong
        reporter = original.lease_token_id
        first_change = reopen_match(session, original, recompute=False)
        if _outvoted(session, reporter, now, f"its result of match {original.id}", since=first_change):
            return "caught"  # the catch recomputed the ratings, this match's games included
        if first_change is not None:
            recompute_ratings(session, since=first_change)
        return "outvoted"
    reopen_match(session, original)  # three different results, or a forfeit among them: played again
    return "replayed"


def _forfeit_in_dispute(*votes: list[Outcome]) -> bool:
    """Whether any game on which the votes differ was a forfeit in any of them."""
    return any(len(set(game)) > 1 and any(vote[2] == "forfeit" for vote in game) for game in zip(*votes, strict=True))


def _tally(session: Session, token_id: int | None, *, outvoted: bool) -> None:
    """Count one decided result (its own, or a check of it that two others outvoted) of a worker."""
    if token_id is not None:
        token = session.get_one(ApiToken, token_id)
        token.results_checked += 1
        token.results_outvoted += outvoted


def _outvoted(session: Session, token_id: int | None, now: datetime, what: str, since: int | None = None) -> bool:
    """Count a result of `token_id` that two other workers outvoted; catch the worker (True) once
    `CATCH_MIN_OUTVOTED` of its checked results, and more than `CATCH_OUTVOTED_SHARE` of them, were."""
    if token_id is None:
        return False
    _tally(session, token_id, outvoted=True)
    token = session.get_one(ApiToken, token_id)
    if token.results_outvoted < CATCH_MIN_OUTVOTED or \
            token.results_outvoted <= CATCH_OUTVOTED_SHARE * token.results_checked:
        return False
    catch_worker(session, token_id, now, f"{what} does not reproduce: two other workers agree on other games, "
                 f"as for {token.results_outvoted} of its {token.results_checked} checked results", since=since)
    return True


def drop_stale_checks(session: Session, now: datetime, wait_s: float) -> int:
    """Inside a write transaction: delete checks that no worker may finish, those queued longer than
    `wait_s` (no allowed worker came: a league of one or two workers cannot decide a dispute) and those
    that failed (leases ran out too often). A result whose first check is dropped stands unchecked (a
    forfeit among it unrated); a disputed one, whose deciding check is dropped, is played again. Returns
    how many checks were dropped."""
    dropped = and_(Match.verifies_match_id.is_not(None), or_(
        Match.state == "failed", and_(Match.state == "queued", Match.created_at < now - timedelta(seconds=wait_s))))
    checked = select(Match.verifies_match_id).where(dropped).scalar_subquery()
    # the checked matches first, then their checks: the order of every other path (no deadlock)
    locked = list(session.scalars(select(Match.id).where(Match.id.in_(checked)).order_by(Match.id)
                                  .with_for_update(skip_locked=True)))
    stale = list(session.scalars(select(Match).where(dropped, Match.verifies_match_id.in_(locked))
                                 .order_by(Match.id).with_for_update(skip_locked=True)))
    for check in stale:
        original = session.get(Match, check.verifies_match_id)
        session.execute(delete(Game).where(Game.match_id == check.id))
        session.delete(check)
        session.flush()
        if original is None or original.state != "done":
            continue
        if original.check_state == "disputed":
            reopen_match(session, original)
        elif original.check_state == "pending":
            original.check_state = "unchecked"
    return len(stale)


def _confirm(session: Session, original: Match, now: datetime) -> None:
    """Mark `original` confirmed and rate its forfeits that waited for it (unless its tournament is unrated)."""
    original.check_state = "confirmed"
    waiting = list(session.scalars(select(Game).where(
        Game.match_id == original.id, Game.rated.is_(False), Game.winner.is_not(None),
        Game.forfeit_side.is_distinct_from(BOTH_FAILED)).order_by(Game.index)))
    if waiting and _rated(session, original):
        rate_games(session, original, waiting, now)


def _rated(session: Session, match: Match) -> bool:
    return match.tournament_id is None or session.get_one(Tournament, match.tournament_id).rated
