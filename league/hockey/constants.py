"""Units, sizes and gains of the hockey game, and its modes (upstream `hockey` 2.6).

Lengths are in metres unless the name says px; Box2D works in metres, the picture in pixels
(SCALE pixels a metre). The origin is the bottom-left corner of the rink, so its centre is
(CENTER_X, CENTER_Y) = (5, 4).
"""

from __future__ import annotations

import math
import operator
from ctypes import c_float
from enum import IntEnum


class Mode(IntEnum):
    """What a game starts from: a normal game, or one of the two training drills."""

    NORMAL = 0
    TRAIN_SHOOTING = 1
    TRAIN_DEFENSE = 2


FPS = 50
TIME_STEP = 1.0 / FPS
VELOCITY_ITERATIONS = 6 * 30
POSITION_ITERATIONS = 2 * 30

SCALE = 60.0
VIEWPORT_W = 600
VIEWPORT_H = 480
W = VIEWPORT_W / SCALE
H = VIEWPORT_H / SCALE
CENTER_X = W / 2
CENTER_Y = H / 2
ZONE = W / 20

MAX_ANGLE = math.pi / 3
MAX_TIME_KEEP_PUCK = 15
GOAL_SIZE = 75
FORCEMULTIPLIER = 6000
SHOOTFORCEMULTIPLIER = 60
TORQUEMULTIPLIER = 400
MAX_PUCK_SPEED = 25
MAX_PLAYER_SPEED = 10

RACKETFACTOR = 1.2
RACKETPOLY = [(-10, 20), (5, 20), (5, -20), (-10, -20), (-18, -10), (-21, 0), (-18, 10)]
PUCK_RADIUS_PX = 13

MAX_TIMESTEPS = {Mode.NORMAL: 250, Mode.TRAIN_SHOOTING: 80, Mode.TRAIN_DEFENSE: 80}

# Collision categories and masks: two fixtures touch when each mask has a bit of the other's category.
WALL_CATEGORY, WALL_MASK = 0x011, 0x0011
PLAYER_CATEGORY, PLAYER_MASK = 0x0010, 0x011
PUCK_CATEGORY, PUCK_MASK = 0x001, 0x0010
GOAL_SENSOR_CATEGORY, GOAL_SENSOR_MASK = 0x0010, 0x001
GOAL_SOLID_CATEGORY, GOAL_SOLID_MASK = 0x010, 0x0010


def parse_mode(mode: object) -> Mode:
    """Turn a `Mode`, its number or its name into a `Mode`; anything else is a ValueError."""
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str):
        try:
            return Mode[mode.upper()]
        except KeyError:
            pass
    elif not isinstance(mode, bool):
        try:
            return Mode(operator.index(mode))
        except (TypeError, ValueError):
            pass
    names = ", ".join(f"{m.name} ({m.value})" for m in Mode)
    raise ValueError(f"unknown hockey mode {mode!r}: expected one of {names}")


def f32(value: float) -> float:
    """`value` rounded to the nearest float32, as a Python float."""
    return c_float(value).value
