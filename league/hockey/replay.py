"""Playing recorded games: record one game between two policies, and replay a record exactly."""

from __future__ import annotations

from typing import Any

from .batch import play_games
from .constants import Mode, f32
from .env import HockeyEnv
from .record import GameRecorder, invalid_record, validate_record


def record_game(policy_one, policy_two, seed: int, one_starting: bool = True, *,
                mode: Mode | int | str = Mode.NORMAL) -> dict[str, Any]:
    """Play one game between two batched policies and return its record."""
    return play_games(policy_one, policy_two, [seed], [one_starting], mode=mode, record=True)[0].record


def replay(record: dict[str, Any], *, check: bool = True) -> dict[str, Any]:
    """Play a record's actions again from its seed; returns the replayed game's record.

    With `check`, a replay that differs from the record in any frame, its length or its winner
    raises ValueError naming the first difference.
    """
    validate_record(record)
    env = HockeyEnv(keep_mode=record["keep_mode"], mode=record["mode"])
    env.reset(one_starting=record["one_starting"], seed=record["seed"])
    recorder = GameRecorder(env, seed=record["seed"], one_starting=record["one_starting"])
    for step, action in enumerate(record["actions"]):
        if env.done:
            invalid_record(f"the game ended after {step} steps but the record has {record['length']}")
        applied = [f32(value) for value in action]
        env._advance(applied)
        recorder.add_step(env, applied)
    if not env.done:
        invalid_record(f"the game has not ended after the record's {record['length']} actions")
    replayed = recorder.finish(env)
    env.close()
    if check:
        _compare(record, replayed)
    return replayed


def _compare(record: dict[str, Any], replayed: dict[str, Any]) -> None:
    for name in ("player_one", "player_two", "puck", "keep"):
        for k, (a, b) in enumerate(zip(record["frames"][name], replayed["frames"][name], strict=True)):
            if [f32(v) for v in a] != [f32(v) for v in b]:
                raise ValueError(f"record does not replay: frames.{name}[{k}] is {a}, replay gives {b}")
    for key in ("length", "winner", "end_reason"):
        if record[key] != replayed[key]:
            raise ValueError(f"record does not replay: {key} is {record[key]!r}, replay gives {replayed[key]!r}")
