"""Playing a policy against an opponent from both sides: every seed once as player one and once as
player two (mirrored), the starting player alternating with the seed, so each side starts half."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from league.hockey.batch import Policy, play_games
from league.hockey.constants import Mode

from .stats import Tally


def puck_in_own_half(side: int, one_starting: bool, mode: Mode) -> bool:
    """Whether the game's puck begins in the half of the player on `side` (1 or 2)."""
    if mode == Mode.TRAIN_SHOOTING:
        return side == 1
    if mode == Mode.TRAIN_DEFENSE:
        return side == 2
    return one_starting == (side == 1)


def play_sides(policy: Policy, opponent: Callable[[], Policy], seeds: Sequence[int], *,
               sides: Sequence[int] = (1, 2), mode: Mode = Mode.NORMAL, parallel: int = 50,
               tally: Tally | None = None, on_games: Callable[[int], None] | None = None) -> Tally:
    """Play `policy` against fresh `opponent()`s on every seed from each of `sides`, `parallel`
    games at a time (player one starts on even seeds); results from the policy's side.
    `on_games(n)` is told after every batch how many games it played."""
    tally = Tally() if tally is None else tally
    for side in sides:
        if side not in (1, 2):
            raise ValueError(f"side must be 1 or 2, got {side}")
        for start in range(0, len(seeds), parallel):
            batch = [int(s) for s in seeds[start:start + parallel]]
            firsts = [s % 2 == 0 for s in batch]
            other = opponent()
            one, two = (policy, other) if side == 1 else (other, policy)
            for result in play_games(one, two, batch, one_starting=firsts, mode=mode):
                outcome = result.winner if side == 1 else -result.winner
                tally.add(outcome, side, puck_in_own_half(side, result.one_starting, mode))
            if on_games is not None:
                on_games(len(batch))
    return tally
