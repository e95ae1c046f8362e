"""Really played games with a chosen outcome, for tests that need a result the server accepts.

The server replays every reported record, so a test's result must carry real records. For a planned
game (seed, which side starts) and a wanted winner this plays it for real: a draw between two
policies that never move (the puck rests until the time limit), a win by a basic opponent against
one that shoots the puck over, stands still or drifts away (other noise on the basic opponent's
actions on each try, until it wins). Results are cached: the same planned game and winner cost one
search per test run.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np

from agents.evaluation.scripted import NAMED_STYLES, PassivePolicy, RandomPolicy, ScriptedPolicy
from league.hockey.batch import basic_opponent_policy, play_games


class Drift:
    """Moves one way all game (out of the scorer's way), never shoots."""

    def __init__(self, direction: tuple[float, float]) -> None:
        self.action = np.array([*direction, 0.0, 0.0])

    def reset(self, n: int) -> None:
        pass

    def act(self, obs: np.ndarray) -> np.ndarray:
        return np.tile(self.action, (len(obs), 1))


class Jittered:
    """A basic opponent whose actions get seeded noise (the basic opponents alone may never score in
    some starts); attempt k draws other noise."""

    def __init__(self, attempt: int, scale: float | None = None) -> None:
        self.bot = basic_opponent_policy(attempt % 2 == 1, seed=attempt)
        self.rng = np.random.default_rng(attempt)
        self.scale = scale if scale is not None else 0.0 if attempt < 2 else 0.5

    def reset(self, n: int) -> None:
        self.bot.reset(n)

    def act(self, obs: np.ndarray) -> np.ndarray:
        actions = np.asarray(self.bot.act(obs), dtype=np.float64)
        return np.clip(actions + self.rng.normal(0.0, self.scale, actions.shape), -1, 1)


# who loses to the scorer: one that keeps out of its way, or (when the puck rests in the loser's half, which
# no player may leave) one that shoots the puck over
LOSERS = (lambda k: ScriptedPolicy(NAMED_STYLES["shooter"](), seed=k), lambda k: PassivePolicy(),
          lambda k: Drift((0.0, 1.0)), lambda k: Drift((0.0, -1.0)),
          lambda k: ScriptedPolicy(NAMED_STYLES["holder"](), seed=k), lambda k: RandomPolicy(seed=k))



@lru_cache(maxsize=4096)
def _played(seed: int, one_starting: bool, winner: int) -> tuple[int, str, str]:
    for attempt in range(300):
        if winner == 0:
            one, two = PassivePolicy(), PassivePolicy()
        else:
            scorer, loser = Jittered(attempt // len(LOSERS)), LOSERS[attempt % len(LOSERS)](attempt)
            one, two = (scorer, loser) if winner == 1 else (loser, scorer)
        (game,) = play_games(one, two, [seed], [one_starting], record=True)
        if game.winner == winner:
            return game.length, game.end_reason, json.dumps(game.record)
        if winner == 0:
            break
    raise AssertionError(f"no played game of seed {seed} (one_starting={one_starting}) ends with winner {winner}")


def played_report(index: int, seed: int, one_starting: bool, winner: int) -> dict[str, Any]:
    """The report of game `index` (planned with `seed` and `one_starting`) won by `winner` (player one's
    view: +1, -1, 0), with its real record."""
    length, end_reason, record = _played(int(seed), bool(one_starting), int(winner))
    return {"index": index, "winner": winner, "length": length, "end_reason": end_reason,
            "record": json.loads(record)}
