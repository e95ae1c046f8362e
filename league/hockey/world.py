"""The rink as Box2D bodies: creation and destruction in upstream's exact order.

Box2D hands out broad-phase proxy ids from a free list and those ids decide the order in
which contacts are solved, so the bodies are created, and destroyed, in exactly the order
upstream uses, in one world that lives as long as the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import Box2D
from Box2D import b2CircleShape, b2FixtureDef, b2PolygonShape

from .constants import (
    CENTER_X,
    CENTER_Y,
    GOAL_SENSOR_CATEGORY,
    GOAL_SENSOR_MASK,
    GOAL_SIZE,
    GOAL_SOLID_CATEGORY,
    GOAL_SOLID_MASK,
    MAX_TIME_KEEP_PUCK,
    PLAYER_CATEGORY,
    PLAYER_MASK,
    PUCK_CATEGORY,
    PUCK_MASK,
    PUCK_RADIUS_PX,
    RACKETFACTOR,
    RACKETPOLY,
    SCALE,
    WALL_CATEGORY,
    WALL_MASK,
    H,
)

# Tags stored as each body's userData, read by the contact listener.
PLAYER_ONE, PLAYER_TWO, PUCK, GOAL_ONE, GOAL_TWO = 1, 2, 3, 4, 5

GOAL_BOX_PX = [(-10, 75), (10, 75), (10, -75), (-10, -75)]
WALL_LONG_PX = [(-250, 10), (-250, -10), (250, -10), (250, 10)]
_CORNER_Y_PX = (H - 1) / 2 * SCALE - GOAL_SIZE
WALL_CORNER_PX = [(-10, _CORNER_Y_PX), (10, _CORNER_Y_PX - 7), (10, -5), (-10, -5)]


def _polygon(points_px: list[tuple[float, float]]) -> b2PolygonShape:
    return b2PolygonShape(vertices=[(x / SCALE, y / SCALE) for x, y in points_px])


def _decoration(world: Box2D.b2World, position: tuple[float, float], shape) -> Box2D.b2Body:
    """A static body that touches nothing (category 0, mask 0): only drawn."""
    return world.CreateStaticBody(
        position=position, angle=0.0, fixtures=b2FixtureDef(shape=shape, categoryBits=0, maskBits=0)
    )


def _wall(world: Box2D.b2World, position: tuple[float, float], points_px) -> Box2D.b2Body:
    return world.CreateStaticBody(
        position=position,
        angle=0.0,
        fixtures=b2FixtureDef(
            shape=_polygon(points_px), density=0, friction=0.1, categoryBits=WALL_CATEGORY, maskBits=WALL_MASK
        ),
    )


def _goal(world: Box2D.b2World, position: tuple[float, float], tag: int) -> Box2D.b2Body:
    """A goal: a sensor that feels the puck, then a solid box that stops the players."""
    sensor = b2FixtureDef(
        shape=_polygon(GOAL_BOX_PX),
        density=0,
        friction=0.1,
        categoryBits=GOAL_SENSOR_CATEGORY,
        maskBits=GOAL_SENSOR_MASK,
        isSensor=True,
    )
    solid = b2FixtureDef(
        shape=_polygon(GOAL_BOX_PX),
        density=0,
        friction=0.1,
        categoryBits=GOAL_SOLID_CATEGORY,
        maskBits=GOAL_SOLID_MASK,
    )
    body = world.CreateStaticBody(position=position, angle=0.0, fixtures=[sensor, solid])
    body.userData = tag
    return body


def create_player(world: Box2D.b2World, position: tuple[float, float], is_player_two: bool) -> Box2D.b2Body:
    """A racket: a 7-sided polygon, mirrored in x for player two."""
    sign = -1 if is_player_two else 1
    vertices = [(sign * x / SCALE * RACKETFACTOR, y / SCALE * RACKETFACTOR) for x, y in RACKETPOLY]
    body = world.CreateDynamicBody(
        position=position,
        angle=0.0,
        fixtures=b2FixtureDef(
            shape=b2PolygonShape(vertices=vertices),
            density=200.0 / RACKETFACTOR,
            friction=1.0,
            categoryBits=PLAYER_CATEGORY,
            maskBits=PLAYER_MASK,
            restitution=0.0,
        ),
    )
    body.userData = PLAYER_TWO if is_player_two else PLAYER_ONE
    return body


def create_puck(world: Box2D.b2World, position: tuple[float, float]) -> Box2D.b2Body:
    body = world.CreateDynamicBody(
        position=position,
        angle=0.0,
        fixtures=b2FixtureDef(
            shape=b2CircleShape(radius=PUCK_RADIUS_PX / SCALE, pos=(0, 0)),
            density=7.0,
            friction=0.1,
            categoryBits=PUCK_CATEGORY,
            maskBits=PUCK_MASK,
            restitution=0.95,
        ),
        linearDamping=0.05,
    )
    body.userData = PUCK
    return body


@dataclass
class Rink:
    """The static bodies of one episode: decorations and walls (in creation order), and the goals."""

    fixed: list[Box2D.b2Body] = field(default_factory=list)
    goal_one: Box2D.b2Body | None = None
    goal_two: Box2D.b2Body | None = None


def create_rink(world: Box2D.b2World) -> Rink:
    """Decorations, walls, then the goals of player one and player two, in upstream's order."""
    cx, cy = CENTER_X, CENTER_Y
    fixed = [
        _decoration(world, (cx, cy), b2CircleShape(radius=100 / SCALE, pos=(0, 0))),
        _decoration(world, (cx - 250 / SCALE, cy), b2CircleShape(radius=GOAL_SIZE / SCALE, pos=(0, 0))),
        _decoration(world, (cx - 240 / SCALE, cy), _polygon([(0, 100), (100, 100), (100, -100), (0, -100)])),
        _decoration(world, (cx + 250 / SCALE, cy), b2CircleShape(radius=GOAL_SIZE / SCALE, pos=(0, 0))),
        _decoration(world, (cx + 140 / SCALE, cy), _polygon([(100, 100), (0, 100), (0, -100), (100, -100)])),
        _wall(world, (cx, H - 0.5), WALL_LONG_PX),
        _wall(world, (cx, 0.5), WALL_LONG_PX),
        _wall(world, (cx - 245 / SCALE, H - 0.5), [(x, -y) for x, y in WALL_CORNER_PX]),
        _wall(world, (cx - 245 / SCALE, 0.5), WALL_CORNER_PX),
        _wall(world, (cx + 245 / SCALE, H - 0.5), [(-x, -y) for x, y in WALL_CORNER_PX]),
        _wall(world, (cx + 245 / SCALE, 0.5), [(-x, y) for x, y in WALL_CORNER_PX]),
    ]
    goal_one = _goal(world, (cx - 245 / SCALE - 10 / SCALE, cy), GOAL_ONE)
    goal_two = _goal(world, (cx + 245 / SCALE + 10 / SCALE, cy), GOAL_TWO)
    return Rink(fixed, goal_one, goal_two)


class ContactListener(Box2D.b2ContactListener):
    """Goals and puck pick-ups, decided when two bodies start to touch during a world step."""

    def __init__(self, game) -> None:
        super().__init__()
        self.game = game

    def BeginContact(self, contact) -> None:  # noqa: N802 (Box2D's callback name)
        tags = {contact.fixtureA.body.userData, contact.fixtureB.body.userData}
        if PUCK not in tags:
            return
        game = self.game
        if GOAL_TWO in tags:
            game.done = True
            game.winner = 1
        if GOAL_ONE in tags:
            game.done = True
            game.winner = -1
        if game.keep_mode:
            if PLAYER_ONE in tags and game.puck.linearVelocity[0] < 0.1 and game.player1_has_puck == 0:
                game.player1_has_puck = MAX_TIME_KEEP_PUCK
            if PLAYER_TWO in tags and game.puck.linearVelocity[0] > -0.1 and game.player2_has_puck == 0:
                game.player2_has_puck = MAX_TIME_KEEP_PUCK
