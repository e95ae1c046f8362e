"""Choosing who plays whom, as pure functions over ratings (no database).

The planner adds one match at a time, counting the matches it has already planned:

1. Placement first: a snapshot with fewer than `placement_games` games (played or planned)
   plays the weak basic opponent, then the strong one, then its nearest neighbours by
   TrueSkill match quality. A new snapshot gets a rough place quickly and from anchored games.
2. Otherwise the snapshot whose rating says least (largest sigma, weighted up when it has
   played fewer games than the pool's average, down for every match it already has waiting)
   is the focus; its opponent is the one that maximises TrueSkill match quality times the
   pair's combined uncertainty. Close, uncertain pairs teach the ranking the most; the
   games-deficit weight keeps every snapshot playing, the top and bottom included.

Given the pairs' head-to-head counts (`pairs`), each pair's value is also weighted by what a game
of it is worth per second of play (`informative_weights`): the chance that the game is decisive
(its smoothed draw share, as `league.core.rating.pair_draw_probability` rates it, taken away), over
its expected length relative to a decisive game (a draw runs the whole 250 steps, a decisive game
about a third of that), and by how little the pair has played compared with the others
(`coverage_weights`). Two copies of one policy, or a player that only draws, have high TrueSkill
match quality but teach the ranking nothing: their games are mostly draws, and the longest ones.

Batching (`recurrence`): a match worker plays the matches it claims together, each policy called once
per step for all its games, so a plan in which the same snapshots recur plays faster. Among the
rating pairs, one whose members are already in this plan has its value multiplied by
`1 + recurrence` per member already planned: a tie-breaker among similarly informative pairs
(values spread over orders of magnitude), never a reason to play an uninformative one.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from league.core.rating import BETA, pair_draw_probability

DRAW_LENGTH_RATIO = 3.0  # a draw's cost (the whole game) over a decisive game's (goals come at ~1/3 of it)


@dataclass
class Candidate:
    """A pool member as matchmaking sees it; `pending` counts its queued or running matches."""

    id: int
    mu: float
    sigma: float
    games: int
    pending: int = 0
    kind: str = "dreamer"


@dataclass(frozen=True)
class PairRecord:
    """Head-to-head counts of a pair, as `plan_pairings` weighs it."""

    games: int
    draws: int


@dataclass(frozen=True)
class Pairing:
    a_id: int
    b_id: int
    reason: str  # "placement" or "rating"


@dataclass(frozen=True)
class GamePlan:
    index: int
    seed: int
    one_starting: bool
    a_is_player_one: bool


def plan_pairings(candidates: list[Candidate], n: int, *, games_per_match: int, placement_games: int,
                  rng: random.Random, pairs: dict[tuple[int, int], PairRecord] | None = None,
                  recurrence: float = 0.0) -> list[Pairing]:
    """Choose `n` pairings among `candidates` (their `pending` counts are updated as planned).

    `pairs` maps (lower id, higher id) to the pair's head-to-head counts; without it every pair is
    weighed as if it had never played. `recurrence` favours rating pairs of snapshots already in
    this plan (see the module's docstring; 0: no preference)."""
    if len(candidates) < 2 or n <= 0:
        return []
    anchors = [i for i, c in enumerate(candidates) if c.kind in ("basic_weak", "basic_strong")]
    mus = np.array([c.mu for c in candidates])
    sigmas = np.array([c.sigma for c in candidates])
    value = pair_values(mus, sigmas)
    if pairs is not None:
        ids = [c.id for c in candidates]
        value = value * informative_weights(ids, pairs) * coverage_weights(ids, pairs)
    plans = []
    in_plan = np.zeros(len(candidates))
    for _ in range(n):
        pending = np.array([c.pending for c in candidates], dtype=float)
        games = np.array([c.games for c in candidates], dtype=float) + pending * games_per_match
        jitter = np.array([rng.random() for _ in candidates]) * 1e-9
        newcomers = [i for i, c in enumerate(candidates) if c.kind in ("dreamer", "remote") and games[i] < placement_games]
        if newcomers:
            focus = min(newcomers, key=lambda i: games[i] + jitter[i])
            opponents = [i for i in anchors if i != focus] if games[focus] < games_per_match else []
            if not opponents:
                opponents = [i for i in range(len(candidates)) if i != focus]
            opponent = max(opponents, key=lambda i: value[focus, i] + jitter[i])
            reason = "placement"
        else:
            coverage = np.sqrt((games.mean() + 1) / (games + 1)) / (1 + pending)
            recurring = 1 + recurrence * in_plan
            weighted = value * np.outer(coverage * recurring, coverage * recurring) + np.add.outer(jitter, jitter)
            row, column = np.unravel_index(int(np.argmax(weighted)), weighted.shape)
            focus, opponent = int(row), int(column)
            reason = "rating"
        candidates[focus].pending += 1
        candidates[opponent].pending += 1
        in_plan[focus] = in_plan[opponent] = 1
        plans.append(Pairing(candidates[focus].id, candidates[opponent].id, reason))
    return plans


def pair_values(mus: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """How much a game between each two members would teach: match quality times the pair's
    combined variance (close, uncertain pairs first); the diagonal is -inf."""
    variance = np.add.outer(sigmas**2, sigmas**2)
    spread = 2 * BETA**2 + variance
    quality = np.sqrt(2 * BETA**2 / spread) * np.exp(-(np.subtract.outer(mus, mus) ** 2) / (2 * spread))
    value = quality * variance
    np.fill_diagonal(value, -math.inf)
    return value


def informative_weights(ids: list[int], pairs: dict[tuple[int, int], PairRecord]) -> np.ndarray:
    """Per pair of `ids`: the chance its next game is decisive, per cost of a game relative to a
    decisive one (1 for a pair that never draws, ~0 for one that only draws)."""
    weights = np.ones((len(ids), len(ids)))
    for i, a in enumerate(ids):
        for j in range(i + 1, len(ids)):
            record = pairs.get((min(a, ids[j]), max(a, ids[j])))
            draw = pair_draw_probability(record.games, record.draws) if record else pair_draw_probability(0, 0)
            weights[i, j] = weights[j, i] = (1 - draw) / (1 - draw + draw * DRAW_LENGTH_RATIO)
    return weights


def coverage_weights(ids: list[int], pairs: dict[tuple[int, int], PairRecord]) -> np.ndarray:
    """Per pair of `ids`: (the pairs' mean games + 1) / (this pair's games + 1). The leaderboard should
    order snapshots by how they do against the whole field, and hockey policies are not transitive
    (a passive player draws the defender, loses to the dreamer, beats a shaky striker): a pair that
    has played far less than the others is what the ratings know least about."""
    games = np.zeros((len(ids), len(ids)))
    for i, a in enumerate(ids):
        for j in range(i + 1, len(ids)):
            record = pairs.get((min(a, ids[j]), max(a, ids[j])))
            games[i, j] = games[j, i] = record.games if record else 0
    mean = games[np.triu_indices(len(ids), 1)].mean() if len(ids) > 1 else 0.0
    return (mean + 1) / (games + 1)


def plan_games(n_games: int, rng: random.Random) -> list[GamePlan]:
    """An even number of games in mirrored pairs: each pair shares a seed and swaps sides, and
    the starting side alternates from pair to pair."""
    if n_games < 2 or n_games % 2:
        raise ValueError(f"a match has an even number of games >= 2, not {n_games}")
    plans: list[GamePlan] = []
    for pair in range(n_games // 2):
        seed = rng.randrange(2**31)
        for swap in (False, True):
            plans.append(GamePlan(index=len(plans), seed=seed, one_starting=pair % 2 == 0, a_is_player_one=not swap))
    return plans
