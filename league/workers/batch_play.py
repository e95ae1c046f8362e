"""Many pairings in one lock step: every distinct policy is called once per step for all its games.

`league.hockey.batch.play_games` plays one pair of policies; a match worker holding many leases
has many pairs, and the same snapshot often plays in several of them, on either side. Here every
game is a `Table` naming the policy of each side by a key; per step each policy gets one batch
with every row where it sits (its seats in a fixed order: table, then side), so a policy's cost
per step is paid once however many matches it plays in. A neural policy's cost per game falls
steeply with the batch, which is where the speed comes from.

Stateful policies follow the game's protocol: `reset(n)` once with all their seats, then
`drop(rows)` (or `keep_rows(rows)`) with the rows of their last batch whose games ended, before
the next `act`. A policy whose `reset`, `act` or `drop` raises, or that answers actions of the
wrong shape or not finite, is out: every unfinished game where it sits ends as a forfeit of its
side(s) at once; every other game goes on.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from league.hockey.batch import GameResult, Policy, seat_seed, step_game
from league.hockey.env import HockeyEnv
from league.hockey.record import GameRecorder


@dataclass(frozen=True)
class Table:
    """One game to play: which policy sits on each side, its seed and starting side."""

    key: Hashable
    one: Hashable  # the policy of player one (a key of the `policies` mapping)
    two: Hashable  # the policy of player two
    seed: int
    one_starting: bool


@dataclass
class TableOutcome:
    """How a table ended: a played game (`result`), or a forfeit of `failed_sides` with `error`."""

    key: Hashable
    result: GameResult | None = None
    failed_sides: tuple[int, ...] = ()
    error: str = ""


class _Failed(Exception):
    pass


@dataclass
class _Seats:
    """A policy's rows in the current step: (table index, side), in table then side order."""

    policy: Policy
    rows: list[tuple[int, int]] = field(default_factory=list)
    error: str = ""


def _guard(method, *args):
    try:
        return method(*args)
    except Exception as error:  # noqa: BLE001 (any failure of foreign code is the policy's)
        raise _Failed(f"{method.__name__} raised {type(error).__name__}: {error}") from error


def _actions(policy: Policy, obs: np.ndarray) -> list[list[float]]:
    """The policy's actions for `obs`, clipped to [-1, 1] and float32-rounded as the game applies them."""
    answer = _guard(policy.act, obs)
    try:
        actions = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise _Failed(f"act returned something that is not numbers: {error}") from error
    if actions.shape != (len(obs), 4):
        raise _Failed(f"act returned shape {actions.shape} for {len(obs)} games, expected ({len(obs)}, 4)")
    if not np.isfinite(actions).all():
        raise _Failed("act returned NaN or infinite actions")
    return np.clip(actions, -1.0, 1.0).astype(np.float32).tolist()


def _tell_finished(policy: Policy, finished: list[int], batch_size: int) -> None:
    if hasattr(policy, "drop"):
        _guard(policy.drop, np.array(finished, dtype=np.int64))
    elif hasattr(policy, "keep_rows"):
        _guard(policy.keep_rows, np.setdiff1d(np.arange(batch_size), finished))


def play_tables(policies: Mapping[Hashable, Policy], tables: Sequence[Table], *,
                record: bool = False) -> dict[Hashable, TableOutcome]:
    """Play every table in one lock step; an outcome per table key (a played game or a forfeit)."""
    n = len(tables)
    envs = [HockeyEnv() for _ in tables]
    recorders: list[GameRecorder | None] = [None] * n
    for i, (env, table) in enumerate(zip(envs, tables, strict=True)):
        env.reset(one_starting=table.one_starting, seed=table.seed)
        if record:
            recorders[i] = GameRecorder(env, seed=table.seed, one_starting=table.one_starting)
    seats: dict[Hashable, _Seats] = {key: _Seats(policies[key]) for t in tables for key in (t.one, t.two)}
    for i, table in enumerate(tables):
        seats[table.one].rows.append((i, 1))
        seats[table.two].rows.append((i, 2))
    outcomes: dict[Hashable, TableOutcome] = {}
    failed: dict[Hashable, str] = {}
    for key, seat in seats.items():
        try:
            _guard(seat.policy.reset, len(seat.rows))
            if hasattr(seat.policy, "seed_games"):  # each game's randomness from its own seed alone
                _guard(seat.policy.seed_games, [seat_seed(tables[i].seed, side) for i, side in seat.rows])
        except _Failed as error:
            failed[key] = str(error)
    views = [env._views() for env in envs]
    active = set(range(n))
    try:
        while active:
            actions: dict[tuple[int, int], list[float]] = {}
            for key, seat in seats.items():
                if key in failed or not seat.rows:
                    continue
                try:
                    answered = _actions(seat.policy, np.array([views[i][side - 1] for i, side in seat.rows]))
                except _Failed as error:
                    failed[key] = str(error)
                    continue
                actions.update(zip(seat.rows, answered, strict=True))
            ended: set[int] = set()
            for i in sorted(active):
                table = tables[i]
                sides = tuple(side for side, key in ((1, table.one), (2, table.two)) if key in failed)
                if sides:
                    errors = "; ".join(dict.fromkeys(failed[k] for k in (table.one, table.two) if k in failed))
                    outcomes[table.key] = TableOutcome(table.key, failed_sides=sides, error=errors)
                    ended.add(i)
                    continue
                env = envs[i]
                views[i] = step_game(env, actions[(i, 1)] + actions[(i, 2)], recorders[i])
                if env.done:
                    reason = "goal" if env.winner != 0 else "time_limit"
                    game_record = recorders[i].finish(env) if recorders[i] is not None else None
                    outcomes[table.key] = TableOutcome(table.key, GameResult(
                        table.seed, table.one_starting, env.winner, env.time, reason, game_record))
                    ended.add(i)
            active -= ended
            for key, seat in seats.items():
                gone = [row for row, (i, _) in enumerate(seat.rows) if i in ended]
                if not gone:
                    continue
                batch_size = len(seat.rows)
                seat.rows = [row for row in seat.rows if row[0] not in ended]
                if seat.rows and key not in failed:
                    try:
                        _tell_finished(seat.policy, gone, batch_size)
                    except _Failed as error:
                        failed[key] = str(error)
    finally:
        for env in envs:
            env.close()
    return outcomes
