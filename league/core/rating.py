"""TrueSkill ratings: one configured environment and the pure functions built on it.

Every game is rated on its own (a match of n games is n updates), draws included, with its
pair's draw probability (`pair_draw_probability`: the pair's draw share so far, starting from the
draw rate hockey has between equals, `DRAW_PROBABILITY`); the leaderboard score is `conservative_score(mu, sigma)`, `mu - 3 * sigma`,
the one place that formula is written (Python values and SQL expressions alike), and a snapshot
is provisional while its sigma is above `PROVISIONAL_SIGMA`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, overload

import trueskill

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, SQLColumnExpression

MU = 25.0
SIGMA = MU / 3
BETA = SIGMA / 2
# Skill drift per game. TrueSkill's default (sigma / 100) is for people, whose skill changes; a
# snapshot is immutable. With it, sigma stops near 0.75 and the order of neighbours keeps flipping
# with the latest games (benchmarks/rating_real.py: Kendall tau to a played round robin stays
# about 0.85); a tenth of it lets ratings settle.
TAU = SIGMA / 1000

# TrueSkill's draw probability is the chance of a draw between equally strong players.
# Measured with the game, 300 games each (see README, "The league"): strong vs strong basic
# opponent 0.32 draws, weak vs weak 0.62, weak vs strong 0.45, a random policy vs either
# basic opponent 0.45-0.46. Pool members are mostly trained agents that attack more than the
# weak opponent, so the strong pairing is the closest proxy: 0.35.
DRAW_PROBABILITY = 0.35

# A pair's own draw share replaces it once the pair has played (see `pair_draw_probability`).
PAIR_DRAW_PRIOR_GAMES = 8
PAIR_DRAW_MIN = 0.05
PAIR_DRAW_MAX = 0.95

# Sigma falls from 8.33 to below 2.5 after about 20-30 informative games.
PROVISIONAL_SIGMA = 2.5

# The leaderboard score sits this many sigmas below mu: a skill the snapshot very probably has.
SCORE_SIGMAS = 3

ENV = trueskill.TrueSkill(mu=MU, sigma=SIGMA, beta=BETA, tau=TAU, draw_probability=DRAW_PROBABILITY,
                          backend=None)


@overload
def conservative_score(mu: float, sigma: float) -> float: ...
@overload
def conservative_score(mu: SQLColumnExpression[float], sigma: SQLColumnExpression[float]) -> ColumnElement[float]: ...
def conservative_score(mu: Any, sigma: Any) -> Any:
    """The leaderboard score, `mu - 3 * sigma`: of two numbers, or of two SQL columns (for ordering in a query)."""
    return mu - SCORE_SIGMAS * sigma


@dataclass(frozen=True)
class Skill:
    """A TrueSkill rating as plain numbers."""

    mu: float = MU
    sigma: float = SIGMA

    @property
    def score(self) -> float:
        """The conservative leaderboard score, `mu - 3 * sigma`."""
        return conservative_score(self.mu, self.sigma)

    @property
    def provisional(self) -> bool:
        return self.sigma > PROVISIONAL_SIGMA


def initial_skill() -> Skill:
    return Skill(MU, SIGMA)


def _ts(skill: Skill) -> trueskill.Rating:
    return ENV.create_rating(mu=skill.mu, sigma=skill.sigma)


def pair_draw_probability(games: int, draws: int) -> float:
    """The draw probability a pair's next game is rated with: its observed draw share, shrunk towards
    `DRAW_PROBABILITY` by `PAIR_DRAW_PRIOR_GAMES` virtual games and kept in [`PAIR_DRAW_MIN`, `PAIR_DRAW_MAX`].

    TrueSkill reads a draw as "the two are within the draw margin of each other", and the margin
    grows with the draw probability. Hockey has structural draws: a player that never touches a
    puck resting in its own half cannot lose that game, whoever its opponent. Between a pair that
    mostly draws, the pair's own (high) draw probability makes each draw weak evidence of equal
    skill and each decisive game strong evidence of order; between a pair that rarely draws, a draw
    says more.
    """
    share = (draws + PAIR_DRAW_PRIOR_GAMES * DRAW_PROBABILITY) / (games + PAIR_DRAW_PRIOR_GAMES)
    return min(max(share, PAIR_DRAW_MIN), PAIR_DRAW_MAX)


@lru_cache(maxsize=256)
def _env(draw_percent: int) -> trueskill.TrueSkill:
    return trueskill.TrueSkill(mu=MU, sigma=SIGMA, beta=BETA, tau=TAU, draw_probability=draw_percent / 100,
                               backend=None)


def rate_game(a: Skill, b: Skill, outcome: int, draw_probability: float | None = None) -> tuple[Skill, Skill]:
    """New skills of `a` and `b` after one game; `outcome` is +1 (a won), 0 (draw), -1 (b won).

    `draw_probability` (e.g. `pair_draw_probability` of the pair, rounded to a percent) replaces
    `DRAW_PROBABILITY` for this game."""
    if outcome not in (-1, 0, 1):
        raise ValueError(f"outcome must be -1, 0 or 1, not {outcome!r}")
    env = ENV if draw_probability is None else _env(round(100 * min(max(draw_probability, 0.01), 0.99)))
    if outcome == -1:
        new_b, new_a = trueskill.rate_1vs1(_ts(b), _ts(a), env=env)
    else:
        new_a, new_b = trueskill.rate_1vs1(_ts(a), _ts(b), drawn=outcome == 0, env=env)
    return Skill(new_a.mu, new_a.sigma), Skill(new_b.mu, new_b.sigma)


def match_quality(a: Skill, b: Skill) -> float:
    """TrueSkill's match quality in (0, 1]: the chance of a draw relative to the closest match."""
    return trueskill.quality_1vs1(_ts(a), _ts(b), env=ENV)
