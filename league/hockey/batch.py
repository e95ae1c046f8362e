"""Batched play: many games at once, each policy called once per step for all of them.

A policy follows one small protocol (`Policy`): `reset(n)` when n games start, then
`act(obs)` with an (m, 18) batch of its own views (player two's is `obs_agent_two`), answering
(m, 4) actions in its own view. All games of a call run in lock step; a game that ends drops
out of the batch, so `m` is the number of unfinished games, in their original order. A policy
that keeps per-game state may define `drop(rows)` (told the rows of its last batch that ended)
or `keep_rows(rows)` (told the rows still running); either is called before the next `act`.
A policy with randomness may define `seed_games(seeds)`, called right after `reset` with a seed
per game (`seat_seed`: from the game's seed and the policy's side alone), so that a game plays the
same however it is batched: a match played again on another worker ends the same way.

Training collects its games with the same loop: games may each have their own mode, and an
`on_step` hook sees every lock step (`LockStep`: player one's views before and after, its
actions as answered, whether each game ended, and its info for reward shaping).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from tqdm import tqdm

from .constants import Mode, parse_mode
from .env import HockeyEnv
from .opponent import basic_policy_batch
from .record import GameRecorder


@runtime_checkable
class Policy(Protocol):
    """The policy protocol used everywhere: a batch of own views in, a batch of own actions out."""

    def reset(self, n: int) -> None: ...

    def act(self, obs: np.ndarray) -> np.ndarray: ...


@dataclass
class GameResult:
    """How one game of `play_games` ended."""

    seed: int
    one_starting: bool
    winner: int  # +1 player one won, -1 player two won, 0 draw (or cut)
    length: int  # steps played
    end_reason: str  # "goal", "time_limit", or "cut" (stopped unfinished by `max_steps`)
    record: dict | None = None  # the game record, when asked for
    mode: Mode = Mode.NORMAL  # the game's mode (a normal game or a training drill)


@dataclass(frozen=True)
class LockStep:
    """One lock step of `play_games`, as its `on_step` hook sees it: a row per game that took the
    step (those unfinished before it, in seed order), from player one's side."""

    games: list[int]  # the games that stepped, as indices into the seeds
    obs: np.ndarray  # (m, 18) player one's views the actions answered
    actions: np.ndarray  # (m, 4) player one's actions as its policy answered them (before clipping)
    next_obs: np.ndarray  # (m, 18) player one's views after the step
    done: list[bool]  # whether the game ended with this step
    infos: list[dict]  # player one's info after the step: winner and the game's dense reward terms


class PolicyError(Exception):
    """A policy's reset/act raised, or returned actions of the wrong shape or not finite."""

    def __init__(self, side: int, message: str) -> None:
        super().__init__(f"policy of player {'one' if side == 1 else 'two'}: {message}")
        self.side = side


class BasicOpponentPolicy:
    """The basic opponent as a batched `Policy`: one random phase per game.

    Its randomness comes from one stream (`seed`) or, once `seed_games` has named a seed per game,
    from a stream per game: then each game is played the same however the games are batched."""

    def __init__(self, weak: bool, seed: int | None = None) -> None:
        self.weak = bool(weak)
        self._random = random.Random(seed)
        self._streams: list[random.Random] | None = None
        self.phases = np.zeros(0)

    def reset(self, n: int) -> None:
        self._streams = None
        self.phases = np.array([self._random.uniform(0, np.pi) for _ in range(n)])

    def seed_games(self, seeds: Sequence[int]) -> None:
        if len(seeds) != len(self.phases):
            raise ValueError(f"{len(seeds)} seeds for {len(self.phases)} games")
        self._streams = [random.Random(seed) for seed in seeds]
        self.phases = np.array([stream.uniform(0, np.pi) for stream in self._streams])

    def drop(self, rows: np.ndarray) -> None:
        self.phases = np.delete(self.phases, rows)
        if self._streams is not None:
            gone = {int(row) for row in rows}
            self._streams = [stream for k, stream in enumerate(self._streams) if k not in gone]

    def act(self, obs: np.ndarray) -> np.ndarray:
        if len(obs) != len(self.phases):
            raise ValueError(f"{len(obs)} observations for {len(self.phases)} games")
        streams = self._streams or [self._random] * len(obs)
        self.phases = self.phases + np.array([stream.uniform(0, 0.2) for stream in streams])
        return basic_policy_batch(obs, self.phases, self.weak)


def seat_seed(game_seed: int, side: int) -> int:
    """The seed of one side's randomness in one game (`seed_games`): from the game's seed alone."""
    return (int(game_seed) * 2 + side) % 2**63


def basic_opponent_policy(weak: bool, seed: int | None = None) -> Policy:
    """The built-in weak or strong basic opponent as a batched policy."""
    return BasicOpponentPolicy(weak, seed)


def step_game(env: HockeyEnv, action: np.ndarray, recorder: GameRecorder | None) -> np.ndarray:
    """Advance one game by its joint action (player one's four numbers, then player two's) and
    record the step; returns both players' new views."""
    env._advance(action)
    views = env._views()
    if recorder is not None:
        recorder.add_step(env, action)
    return views


def _starting_sides(one_starting, n: int) -> list[bool]:
    if one_starting is None:
        return [i % 2 == 0 for i in range(n)]
    if isinstance(one_starting, (bool, np.bool_)):
        return [bool(one_starting)] * n
    sides = [bool(side) for side in one_starting]
    if len(sides) != n:
        raise ValueError(f"one_starting has {len(sides)} entries for {n} seeds")
    return sides


def _game_modes(mode, n: int) -> list[Mode]:
    if isinstance(mode, (Mode, str, int, np.integer)):
        return [parse_mode(mode)] * n
    modes = [parse_mode(m) for m in mode]
    if len(modes) != n:
        raise ValueError(f"mode has {len(modes)} entries for {n} seeds")
    return modes


def _call(policy, side: int, method: str, *args):
    try:
        return getattr(policy, method)(*args)
    except Exception as error:  # noqa: BLE001 (any failure of foreign code is the policy's)
        raise PolicyError(side, f"{method} raised {type(error).__name__}: {error}") from error


def _checked_actions(policy, side: int, obs: np.ndarray) -> tuple[np.ndarray, list[list[float]]]:
    """Ask a policy for actions: as answered (float64) and as applied (clipped to [-1, 1] and
    float32-rounded, one list per game)."""
    actions = _call(policy, side, "act", obs)
    try:
        actions = np.asarray(actions, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise PolicyError(side, f"act returned something that is not numbers: {error}") from error
    if actions.shape != (len(obs), 4):
        raise PolicyError(side, f"act returned shape {actions.shape} for {len(obs)} games, expected ({len(obs)}, 4)")
    if not np.isfinite(actions).all():
        raise PolicyError(side, "act returned NaN or infinite actions")
    return actions, np.clip(actions, -1.0, 1.0).astype(np.float32).tolist()


def _tell_finished(policy, side: int, finished_rows: list[int], batch_size: int) -> None:
    """Tell a stateful policy which rows of its last batch ended: `drop(finished)`, or else
    `keep_rows(still running)` (both in the last batch's row numbers)."""
    if hasattr(policy, "drop"):
        _call(policy, side, "drop", np.array(finished_rows))
    elif hasattr(policy, "keep_rows"):
        _call(policy, side, "keep_rows", np.setdiff1d(np.arange(batch_size), finished_rows))


def play_games(policy_one, policy_two, seeds: Sequence[int], one_starting=None, *,
               mode: Mode | int | str | Sequence[Mode | int | str] = Mode.NORMAL, record: bool = False,
               progress: bool = False, on_step: Callable[[LockStep], None] | None = None,
               max_steps: int | None = None) -> list[GameResult]:
    """Play one game per seed between two policies, all in lock step; results in seed order.

    `one_starting`: None alternates (player one starts the first game), a bool applies to all
    games, a sequence gives one per game. `mode`: one mode for all games or one per game. Games
    are in keep mode (4 actions per player). `on_step(LockStep)` is called after every step, once
    the policies have been told which games ended.

    `max_steps` (at least one per game) bounds the steps of all games together: once the next lock
    step would pass it, the games still running are stopped where they are, the later ones in seed
    order first, so that exactly `max_steps` steps are played when the games would have played more.
    A stopped game ends with `end_reason` "cut", winner 0 and no record (training uses this to stop
    at its step budget).
    """
    seeds = [int(seed) for seed in seeds]
    n = len(seeds)
    sides = _starting_sides(one_starting, n)
    modes = _game_modes(mode, n)
    if n == 0:
        return []
    if max_steps is not None and max_steps < n:
        raise ValueError(f"max_steps must allow at least one step per game: {max_steps} for {n} games")
    steps_left = max_steps
    envs = [HockeyEnv(mode=game_mode) for game_mode in modes]
    recorders: list[GameRecorder | None] = [None] * n
    for i, env in enumerate(envs):
        env.reset(one_starting=sides[i], seed=seeds[i])
        if record:
            recorders[i] = GameRecorder(env, seed=seeds[i], one_starting=sides[i])
    _call(policy_one, 1, "reset", n)
    _call(policy_two, 2, "reset", n)
    if hasattr(policy_one, "seed_games"):
        _call(policy_one, 1, "seed_games", [seat_seed(seed, 1) for seed in seeds])
    if hasattr(policy_two, "seed_games"):
        _call(policy_two, 2, "seed_games", [seat_seed(seed, 2) for seed in seeds])
    views = [env._views() for env in envs]
    active = list(range(n))
    results: list[GameResult | None] = [None] * n
    bar = tqdm(total=n, desc="games", unit="game", disable=None if progress else True)
    try:
        while active:
            obs_one = np.array([views[i][0] for i in active])
            obs_two = np.array([views[i][1] for i in active])
            answered_one, actions_one = _checked_actions(policy_one, 1, obs_one)
            _, actions_two = _checked_actions(policy_two, 2, obs_two)
            finished_rows = []
            for row, i in enumerate(active):
                env = envs[i]
                views[i] = step_game(env, actions_one[row] + actions_two[row], recorders[i])
                if env.done:
                    finished_rows.append(row)
                    reason = "goal" if env.winner != 0 else "time_limit"
                    game_record = recorders[i].finish(env) if recorders[i] is not None else None
                    results[i] = GameResult(seeds[i], sides[i], env.winner, env.time, reason, game_record, modes[i])
            stepped = active
            if steps_left is not None:
                steps_left -= len(stepped)
                ended = set(finished_rows)
                running = [row for row in range(len(stepped)) if row not in ended]
                for row in running[steps_left:]:  # the budget is spent: stop these where they are
                    i = stepped[row]
                    finished_rows.append(row)
                    results[i] = GameResult(seeds[i], sides[i], 0, envs[i].time, "cut", None, modes[i])
                finished_rows.sort()
            if finished_rows:
                bar.update(len(finished_rows))
                finished = set(finished_rows)
                active = [i for row, i in enumerate(active) if row not in finished]
                if active:
                    _tell_finished(policy_one, 1, finished_rows, len(stepped))
                    _tell_finished(policy_two, 2, finished_rows, len(stepped))
            if on_step is not None:
                on_step(LockStep(stepped, obs_one, answered_one, np.array([views[i][0] for i in stepped]),
                                 [envs[i].done for i in stepped], [envs[i]._get_info() for i in stepped]))
    finally:
        bar.close()
        for env in envs:
            env.close()
    return results  # type: ignore[return-value]
