"""Opponents for a learner: prioritised fictitious self-play (PFSP) over the pool.

Each draw is, with probability `latest_self_share`, the newest snapshot of the learner's own
lineage; with probability `basic_share`, a basic opponent; otherwise a pool member drawn with
a weight from the learner's recorded win rate p against it (draws count 1/2, smoothed towards
1/2 by two virtual games at 1/2): `hard` (1 - p)^2 favours opponents the
learner loses to, `even` p (1 - p) those it is level with, `uniform` all alike.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from league.core.errors import InvalidInput, NotFound
from league.core.kinds.remote import NAME as REMOTE_KIND
from league.core.models import PairStats, Snapshot
from league.core.schemas import OpponentChoice
from league.core.snapshots import BUILTIN_KINDS, load_snapshot, to_info

MODES = ("hard", "even", "uniform")
PRIOR_GAMES = 2.0  # virtual games at p = 1/2, so an unplayed opponent counts as level
WEIGHT_FLOOR = 1e-3  # every opponent keeps a small chance


def pfsp_weight(win_rate: float, mode: str) -> float:
    """The PFSP weight of an opponent the learner beats with probability `win_rate`."""
    if mode == "hard":
        weight = (1 - win_rate) ** 2
    elif mode == "even":
        weight = win_rate * (1 - win_rate)
    elif mode == "uniform":
        weight = 1.0
    else:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    return max(weight, WEIGHT_FLOOR)


def smoothed_win_rate(wins: int, draws: int, games: int) -> float:
    return (wins + 0.5 * draws + 0.5 * PRIOR_GAMES) / (games + PRIOR_GAMES)


def _win_rates(session: Session, learner_id: int) -> dict[int, float]:
    rates = {}
    rows = session.scalars(select(PairStats).where(or_(PairStats.low_id == learner_id,
                                                       PairStats.high_id == learner_id)))
    for row in rows:
        learner_low = row.low_id == learner_id
        wins = row.low_wins if learner_low else row.high_wins
        rates[row.high_id if learner_low else row.low_id] = smoothed_win_rate(wins, row.draws, row.games)
    return rates


def sample_opponents(session: Session, learner_id: int, n: int, *, mode: str = "hard",
                     latest_self_share: float = 0.2, basic_share: float = 0.1,
                     rng: random.Random | None = None) -> list[OpponentChoice]:
    """Draw `n` opponents (with replacement) for the learner snapshot `learner_id`.

    Raises `NotFound` for an unknown learner, `InvalidInput` for a bad mode, n or shares.
    """
    if not 1 <= n <= 10_000:
        raise InvalidInput(f"n must be between 1 and 10000, got {n}")
    if not (0 <= latest_self_share <= 1 and 0 <= basic_share <= 1 and latest_self_share + basic_share <= 1):
        raise InvalidInput("latest_self_share and basic_share must be in [0, 1] and sum to at most 1")
    pfsp_weight(0.5, mode)  # validates the mode
    rng = rng or random.Random()
    learner = load_snapshot(session, learner_id)
    pool = [s for s in session.scalars(select(Snapshot).where(Snapshot.active).order_by(Snapshot.id))
            if s.id != learner.id and s.kind != REMOTE_KIND]  # a remote agent has no weights to train against
    basics = [s for s in pool if s.kind in BUILTIN_KINDS]
    latest = session.scalar(select(Snapshot).where(Snapshot.agent_id == learner.agent_id, Snapshot.active)
                            .order_by(Snapshot.step.desc(), Snapshot.id.desc()).limit(1)) or learner
    if not pool:
        raise NotFound("the pool has no other active snapshot to play against")
    rates = _win_rates(session, learner.id)
    weights = [pfsp_weight(rates.get(s.id, 0.5), mode) for s in pool]
    choices = []
    for _ in range(n):
        draw = rng.random()
        if draw < latest_self_share:
            choices.append(OpponentChoice(snapshot=to_info(latest), source="latest_self", win_rate=None, weight=None))
        elif draw < latest_self_share + basic_share and basics:
            choices.append(_choice(rng.choice(basics), "basic", rates, mode))
        else:
            choices.append(_choice(_weighted(pool, weights, rng), "pfsp", rates, mode))
    return choices


def _weighted(pool: Sequence[Snapshot], weights: Sequence[float], rng: random.Random) -> Snapshot:
    return rng.choices(pool, weights=weights, k=1)[0]


def _choice(snapshot: Snapshot, source: str, rates: dict[int, float], mode: str) -> OpponentChoice:
    rate = rates.get(snapshot.id, 0.5)
    return OpponentChoice(snapshot=to_info(snapshot), source=source, win_rate=rate, weight=pfsp_weight(rate, mode))
