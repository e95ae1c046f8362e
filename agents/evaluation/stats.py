"""Counting games: win / draw / loss tallies with Wilson confidence intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

Z_95 = 1.959963984540054  # the two-sided 95 % normal quantile


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default); (0, 1) when there are no trials."""
    if trials < 0 or not 0 <= successes <= max(trials, 0):
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


@dataclass
class Tally:
    """Results of one policy's games, from its own side: +1 won, 0 draw, -1 lost; `started` counts
    the games whose puck began in its half, `started_wins` those of them it won."""

    wins: int = 0
    draws: int = 0
    losses: int = 0
    started: int = 0
    started_wins: int = 0
    by_side: dict[int, list[int]] = field(default_factory=lambda: {1: [0, 0, 0], 2: [0, 0, 0]})

    def add(self, outcome: int, side: int, started: bool) -> None:
        if outcome > 0:
            self.wins += 1
        elif outcome < 0:
            self.losses += 1
        else:
            self.draws += 1
        self.by_side[side][0 if outcome > 0 else 1 if outcome == 0 else 2] += 1
        if started:
            self.started += 1
            self.started_wins += outcome > 0

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    def to_dict(self) -> dict:
        """Counts, rates and 95 % Wilson intervals (`*_ci` as [low, high])."""
        n = self.games
        out: dict = {"games": n, "wins": self.wins, "draws": self.draws, "losses": self.losses}
        for name, count in (("win", self.wins), ("draw", self.draws), ("loss", self.losses)):
            out[f"{name}_rate"] = count / n if n else 0.0
            out[f"{name}_ci"] = list(wilson_interval(count, n))
        out["started"] = self.started
        out["started_win_rate"] = self.started_wins / self.started if self.started else None
        out["started_win_ci"] = list(wilson_interval(self.started_wins, self.started)) if self.started else None
        out["as_one"] = dict(zip(("wins", "draws", "losses"), self.by_side[1], strict=True))
        out["as_two"] = dict(zip(("wins", "draws", "losses"), self.by_side[2], strict=True))
        return out
