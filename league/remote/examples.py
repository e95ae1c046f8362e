"""Small agents for `league connect --policy league.remote.examples:FACTORY`, and a template.

`basic` plays the game's basic opponent remotely (each game keeps its own phase, by game id);
`stalling(seconds)` answers every step that late (for trying out the deadlines).
"""

from __future__ import annotations

import random
import time

import numpy as np

from league.hockey.opponent import basic_policy_batch


class BasicAgent:
    """The basic opponent as a remote agent: `act_games` keeps a phase per game id."""

    def __init__(self, weak: bool = False, seed: int | None = None):
        self.weak = weak
        self._random = random.Random(seed)
        self._phases: dict[int, float] = {}

    def act_games(self, game_ids: np.ndarray, obs: np.ndarray) -> np.ndarray:
        phases = np.array([self._phases.get(int(i), self._random.uniform(0, np.pi)) + self._random.uniform(0, 0.2)
                           for i in game_ids])
        self._phases.update(zip((int(i) for i in game_ids), phases, strict=True))
        return basic_policy_batch(np.asarray(obs, dtype=np.float64), phases, self.weak)

    def on_game_end(self, game: dict) -> None:
        self._phases.pop(int(game.get("game", -1)), None)


class StallingAgent(BasicAgent):
    """The basic opponent, answering each step after `seconds`."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    def act_games(self, game_ids: np.ndarray, obs: np.ndarray) -> np.ndarray:
        time.sleep(self.seconds)
        return super().act_games(game_ids, obs)


def basic(weak: bool = False) -> BasicAgent:
    return BasicAgent(weak=weak)


def weak() -> BasicAgent:
    return BasicAgent(weak=True)


def stalling(seconds: float = 2.0) -> StallingAgent:
    return StallingAgent(float(seconds))
