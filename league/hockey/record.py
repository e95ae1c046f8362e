"""Recorded games: a compact, versioned, JSON-serialisable record (replayed by `league.hockey.replay`).

A record holds the game's settings (mode, keep mode, seed, starting side), the actions as
applied (clipped, float32) and, per frame, the positions and angles of both players and the
puck and the keep counters (frame 0 is right after the reset). Numbers are float32 values
written with 9 significant digits, enough to read back the same float32, so replaying the actions
from the seed reproduces every frame exactly. The format is described in docs/game-record.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .constants import MAX_TIMESTEPS, parse_mode
from .version import GAME_VERSION

RECORD_FORMAT = "hockey-game-record"
RECORD_VERSION = 1


def _short(values) -> list[float]:
    """float32 values cut to 9 significant digits: enough to read back the same float32.

    (numpy rounds to float32 as `constants.f32` does, a whole row at once.)"""
    return [float(f"{v:.9g}") for v in np.asarray(values, dtype=np.float32).tolist()]


class GameRecorder:
    """Collects the frames and actions of one game as it is played."""

    def __init__(self, env, seed: int, one_starting: bool) -> None:
        self.header = {
            "format": RECORD_FORMAT,
            "version": RECORD_VERSION,
            "game_version": GAME_VERSION,
            "mode": int(env.mode),
            "keep_mode": bool(env.keep_mode),
            "seed": int(seed),
            "one_starting": bool(one_starting),
        }
        self.actions: list[list[float]] = []
        self.frames: dict[str, list] = {"player_one": [], "player_two": [], "puck": [], "keep": []}
        self._add_frame(env)

    def _add_frame(self, env) -> None:
        x1, y1, a1, _, _, _, x2, y2, a2, _, _, _, xp, yp, _, _ = env._current_state()
        self.frames["player_one"].append(_short((x1, y1, a1)))
        self.frames["player_two"].append(_short((x2, y2, a2)))
        self.frames["puck"].append(_short((xp, yp)))
        self.frames["keep"].append([int(env.player1_has_puck), int(env.player2_has_puck)])

    def add_step(self, env, applied_action: list[float]) -> None:
        """After a step: the action as applied (clipped, float32) and the new frame."""
        self.actions.append(_short(applied_action))
        self._add_frame(env)

    def finish(self, env) -> dict[str, Any]:
        return {
            **self.header,
            "length": len(self.actions),
            "winner": int(env.winner),
            "end_reason": "goal" if env.winner != 0 else "time_limit",
            "actions": self.actions,
            "frames": self.frames,
        }


def invalid_record(message: str) -> None:
    raise ValueError(f"invalid game record: {message}")


RECORD_KEYS = frozenset({"format", "version", "game_version", "mode", "keep_mode", "seed", "one_starting", "length",
                         "winner", "end_reason", "actions", "frames"})
FRAME_WIDTHS = {"player_one": 3, "player_two": 3, "puck": 2, "keep": 2}
MAX_ABS_VALUE = 1e6  # positions, angles, actions and keep counters are all far smaller
MAX_SEED = 2**63 - 1


_NUMBER_TYPES = (int, float)  # exactly: `type(True) is bool`, so booleans are not numbers here


def _rows_are_fine(rows: list, width: int) -> bool:
    """The common case at C speed: lists of `width` ints and floats (no bools), all within range."""
    if not all(type(row) is list and len(row) == width for row in rows):
        return False
    if not {type(v) for row in rows for v in row} <= set(_NUMBER_TYPES):
        return False
    try:
        values = np.array(rows, dtype=np.float64)
    except (OverflowError, ValueError, TypeError):
        return False  # an integer too large for a float: the exact check below decides
    return bool((np.abs(values) <= MAX_ABS_VALUE).all())  # NaN fails the comparison


def _check_rows(name: str, rows: Any, count: int, width: int) -> None:
    if isinstance(rows, list) and len(rows) == count and (count == 0 or _rows_are_fine(rows, width)):
        return
    if not isinstance(rows, list) or len(rows) != count:
        invalid_record(f"{name} must be a list of {count} entries, got {len(rows) if isinstance(rows, list) else type(rows).__name__}")
    for k, row in enumerate(rows):
        # NaN fails both comparisons; a huge integer is compared exactly, never turned into a float
        if not isinstance(row, list) or len(row) != width or not all(
                type(v) in _NUMBER_TYPES and -MAX_ABS_VALUE <= v <= MAX_ABS_VALUE for v in row):
            shown = repr(row) if len(repr(row)) <= 200 else repr(row)[:200] + "..."
            invalid_record(f"{name}[{k}] must be {width} finite numbers (at most {MAX_ABS_VALUE:g} in size), got {shown}")


def _check_keys(where: str, value: dict, expected: frozenset[str] | set[str]) -> None:
    unknown = sorted(str(key)[:40] for key in set(value) - expected)
    missing = sorted(expected - set(value))
    if unknown:
        invalid_record(f"{where}unknown field(s) {', '.join(unknown[:5])}; a record holds only "
                       f"{', '.join(sorted(expected))}")
    if missing:
        invalid_record(f"{where}missing field(s) {', '.join(missing)}")


def validate_record(record: Any) -> None:
    """Raise ValueError with a clear message unless `record` is a well-formed record of this game.

    The schema is exact: the fields `RECORD_KEYS` and no others, frames of `FRAME_WIDTHS` and no
    others, finite numbers of sane size, `length` actions and `length + 1` frames, and a length the
    record's mode allows (its time limit plus the final step).
    """
    if not isinstance(record, dict):
        invalid_record(f"expected a JSON object, got {type(record).__name__}")
    if record.get("format") != RECORD_FORMAT:
        invalid_record(f"format must be {RECORD_FORMAT!r}, got {record.get('format')!r}")
    if record.get("version") != RECORD_VERSION:
        invalid_record(f"record version {record.get('version')!r} is not supported (this code reads version {RECORD_VERSION})")
    if record.get("game_version") != GAME_VERSION:
        invalid_record(f"recorded with game version {record.get('game_version')!r}; this game is {GAME_VERSION!r}"
                       " and would not replay it exactly")
    _check_keys("", record, RECORD_KEYS)
    mode_value = record["mode"]
    if isinstance(mode_value, bool) or not isinstance(mode_value, int):
        invalid_record(f"mode must be int, got {mode_value!r}")
    try:
        mode = parse_mode(mode_value)
    except ValueError as error:
        invalid_record(str(error))
    for key, kind in (("keep_mode", bool), ("one_starting", bool), ("seed", int), ("length", int), ("winner", int)):
        value = record.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            invalid_record(f"{key} must be {kind.__name__}, got {value!r}")
    if not 0 <= record["seed"] <= MAX_SEED:
        invalid_record(f"seed must be from 0 to {MAX_SEED}")
    length, most = record["length"], MAX_TIMESTEPS[mode] + 1
    if not 1 <= length <= most:
        invalid_record(f"length must be from 1 to {most} (the time limit of mode {mode.name}), got "
                       f"{length if abs(length) < 10**18 else 'a huge number'}")
    if record["winner"] not in (-1, 0, 1):
        invalid_record(f"winner must be -1, 0 or 1, got {record['winner']!r}")
    expected_reason = "goal" if record["winner"] != 0 else "time_limit"
    if record.get("end_reason") != expected_reason:
        invalid_record(f"end_reason must be {expected_reason!r} for winner {record['winner']}, got {record.get('end_reason')!r}")
    _check_rows("actions", record.get("actions"), length, 8 if record["keep_mode"] else 6)
    frames = record.get("frames")
    if not isinstance(frames, dict):
        invalid_record("frames must be an object with player_one, player_two, puck and keep")
    for name, width in FRAME_WIDTHS.items():
        _check_rows(f"frames.{name}", frames.get(name), length + 1, width)
    _check_keys("frames: ", frames, set(FRAME_WIDTHS))
