"""Drawing the rink as an RGB picture (600 x 480 px), from positions alone. Needs Pillow.

Because it needs only positions and angles, the same code draws a live game and a recorded
frame. The picture's y axis points up, as the world's does (it is flipped when drawn).
"""

from __future__ import annotations

import math

import numpy as np

from .constants import CENTER_X, CENTER_Y, GOAL_SIZE, PUCK_RADIUS_PX, RACKETFACTOR, RACKETPOLY, SCALE, H, W
from .world import GOAL_BOX_PX, WALL_CORNER_PX, WALL_LONG_PX

WHITE, BLACK = (255, 255, 255), (0, 0, 0)
PLAYER_ONE_COLOUR = (235, 98, 53)
PLAYER_TWO_COLOUR = (93, 158, 199)
GOAL_COLOUR = (128, 128, 128)
CENTRE_COLOUR = (204, 204, 204)
GOAL_AREA_COLOUR = (239, 203, 138)


def _px(x: float, y: float) -> tuple[float, float]:
    """World metres to picture pixels (y flipped: row 0 is the top of the rink)."""
    return x * SCALE, (H - y) * SCALE


def _polygon(centre: tuple[float, float], points_px, angle: float = 0.0) -> list[tuple[float, float]]:
    cos, sin = math.cos(angle), math.sin(angle)
    out = []
    for px, py in points_px:
        x, y = px / SCALE, py / SCALE
        out.append(_px(centre[0] + cos * x - sin * y, centre[1] + sin * x + cos * y))
    return out


def _circle(draw, centre: tuple[float, float], radius_px: float, colour) -> None:
    cx, cy = _px(*centre)
    draw.ellipse([cx - radius_px, cy - radius_px, cx + radius_px, cy + radius_px], fill=colour)


def draw_positions(player_one, player_two, puck) -> np.ndarray:
    """A (480, 600, 3) uint8 picture; players as (x, y, angle), the puck as (x, y), in metres."""
    try:
        from PIL import Image, ImageDraw
    except ImportError as error:
        raise ImportError("drawing the game needs Pillow: pip install 'hockey-league[render]'") from error
    image = Image.new("RGB", (int(W * SCALE), int(H * SCALE)), WHITE)
    draw = ImageDraw.Draw(image)
    cx, cy = CENTER_X, CENTER_Y
    _circle(draw, (cx, cy), 100, CENTRE_COLOUR)
    _circle(draw, (cx - 250 / SCALE, cy), GOAL_SIZE, GOAL_AREA_COLOUR)
    draw.polygon(_polygon((cx - 240 / SCALE, cy), [(0, 100), (100, 100), (100, -100), (0, -100)]), fill=WHITE)
    _circle(draw, (cx + 250 / SCALE, cy), GOAL_SIZE, GOAL_AREA_COLOUR)
    draw.polygon(_polygon((cx + 140 / SCALE, cy), [(100, 100), (0, 100), (0, -100), (100, -100)]), fill=WHITE)
    walls = [
        ((cx, H - 0.5), WALL_LONG_PX),
        ((cx, 0.5), WALL_LONG_PX),
        ((cx - 245 / SCALE, H - 0.5), [(x, -y) for x, y in WALL_CORNER_PX]),
        ((cx - 245 / SCALE, 0.5), WALL_CORNER_PX),
        ((cx + 245 / SCALE, H - 0.5), [(-x, -y) for x, y in WALL_CORNER_PX]),
        ((cx + 245 / SCALE, 0.5), [(-x, y) for x, y in WALL_CORNER_PX]),
    ]
    for centre, points in walls:
        draw.polygon(_polygon(centre, points), fill=BLACK)
    for x in (cx - 255 / SCALE, cx + 255 / SCALE):
        draw.polygon(_polygon((x, cy), GOAL_BOX_PX), fill=GOAL_COLOUR)
    racket = [(x * RACKETFACTOR, y * RACKETFACTOR) for x, y in RACKETPOLY]
    for (x, y, angle), sign, colour in ((player_one, 1, PLAYER_ONE_COLOUR), (player_two, -1, PLAYER_TWO_COLOUR)):
        draw.polygon(_polygon((x, y), [(sign * px, py) for px, py in racket], angle), fill=colour)
    _circle(draw, (puck[0], puck[1]), PUCK_RADIUS_PX, BLACK)
    return np.asarray(image, dtype=np.uint8)


def draw_frame(state: tuple[float, ...]) -> np.ndarray:
    """Draw from a game state as `HockeyEnv` keeps it (16 floats: both players, then the puck)."""
    return draw_positions(state[0:3], state[6:9], state[12:14])
