"""How an action moves a player, and how a held puck is carried and shot.

Upstream does this arithmetic on tiny NumPy arrays; here it is done on Python floats with the
same roundings: a value upstream keeps in a float32 array is rounded to float32 (`f32`) after
every operation, exactly where upstream's array would round it. (For float32 operands, one
float64 operation followed by rounding to float32 gives the correctly rounded float32 result.)
"""

from __future__ import annotations

import math

import Box2D

from .constants import (
    CENTER_X,
    FORCEMULTIPLIER,
    MAX_ANGLE,
    MAX_PLAYER_SPEED,
    SCALE,
    SHOOTFORCEMULTIPLIER,
    TIME_STEP,
    TORQUEMULTIPLIER,
    ZONE,
    H,
    f32,
)

_TIME_STEP_F32 = f32(TIME_STEP)
_LEFT_LIMIT = CENTER_X - 210 / SCALE
_RIGHT_LIMIT = CENTER_X + 210 / SCALE
_TOP_LIMIT = H - 1.2
_BOTTOM_LIMIT = 1.2


def _apply_within_bounds(body: Box2D.b2Body, fx: float, fy: float, is_player_one: bool) -> None:
    """Apply (fx, fy) at the centre, except towards a boundary the player is already beyond.

    A force pushing past a boundary is dropped and the velocity along it set to 0.
    """
    position = body.position
    x, y = position.x, position.y
    if is_player_one:
        stop_x = (x < _LEFT_LIMIT and fx < 0) or (x > CENTER_X and fx > 0)
    else:
        stop_x = (x > _RIGHT_LIMIT and fx > 0) or (x < CENTER_X and fx < 0)
    if stop_x:
        body.linearVelocity = (0.0, body.linearVelocity.y)
        fx = 0.0
    if (y > _TOP_LIMIT and fy > 0) or (y < _BOTTOM_LIMIT and fy < 0):
        body.linearVelocity = (body.linearVelocity.x, 0.0)
        fy = 0.0
    body.ApplyForceToCenter((fx, fy), True)


def push_player(body: Box2D.b2Body, mass: float, ax: float, ay: float, is_player_one: bool) -> None:
    """Translate a player by its action (ax, ay), each already clipped and float32.

    Near the centre line the player is pushed back into its own half; above the maximum
    speed a force is applied only if it slows the player down.
    """
    velocity = body.linearVelocity
    vx, vy = velocity.x, velocity.y
    x = body.position.x
    if is_player_one:
        fx, fy = f32(ax * FORCEMULTIPLIER), f32(ay * FORCEMULTIPLIER)
        at_centre = x > CENTER_X - ZONE
    else:
        fx, fy = -f32(ax * FORCEMULTIPLIER), -f32(ay * FORCEMULTIPLIER)
        at_centre = x < CENTER_X + ZONE
    if at_centre:
        fx = 0.0
        if is_player_one:
            if vx > 0:
                fx = f32(-2 * vx * mass / TIME_STEP)
            back = -1 * (x - CENTER_X) * vx * mass / TIME_STEP
        else:
            if vx < 0:
                fx = f32(-2 * vx * mass / TIME_STEP)
            back = (x - CENTER_X) * vx * mass / TIME_STEP
        fx = f32(fx + f32(back))
        body.linearDamping = 20.0
        _apply_within_bounds(body, fx, fy, is_player_one)
        return
    speed = math.sqrt(vx * vx + vy * vy)
    if speed < MAX_PLAYER_SPEED:
        body.linearDamping = 5.0
        _apply_within_bounds(body, fx, fy, is_player_one)
        return
    body.linearDamping = 20.0
    dvx = f32(f32(_TIME_STEP_F32 * fx) / mass)
    dvy = f32(f32(_TIME_STEP_F32 * fy) / mass)
    if math.sqrt((vx + dvx) ** 2 + (vy + dvy) ** 2) < speed:
        _apply_within_bounds(body, fx, fy, is_player_one)


def turn_player(body: Box2D.b2Body, mass: float, action: float) -> None:
    """Rotate a player by its action; past MAX_ANGLE a torque pulls it back instead."""
    angle = body.angle
    if abs(angle) > MAX_ANGLE:
        torque = 0.0
        omega = body.angularVelocity
        if angle * omega > 0:
            torque = -0.1 * omega * mass / TIME_STEP
        torque += -0.1 * angle * mass / TIME_STEP
        body.angularDamping = 10.0
    else:
        torque = f32(action * TORQUEMULTIPLIER)
        body.angularDamping = 2.0
    body.ApplyTorque(torque, True)


def carry_puck(puck: Box2D.b2Body, player: Box2D.b2Body) -> None:
    """The held puck sits at the player's centre and moves with it."""
    puck.position = player.position
    puck.linearVelocity = player.linearVelocity


def shoot_puck(puck: Box2D.b2Body, player: Box2D.b2Body, is_player_one: bool) -> None:
    """Shoot the puck the way the player faces (player two's racket faces the other way)."""
    sign = 1.0 if is_player_one else -1.0
    angle = player.angle
    direction = Box2D.b2Vec2(math.cos(angle) * sign, math.sin(angle) * sign)
    puck.ApplyForceToCenter(direction * puck.mass / TIME_STEP * SHOOTFORCEMULTIPLIER, True)


def limit_puck_speed(puck: Box2D.b2Body, max_speed: float) -> None:
    """A puck faster than the limit is damped hard."""
    velocity = puck.linearVelocity
    speed = math.sqrt(velocity.x**2 + velocity.y**2)
    puck.linearDamping = 10.0 if speed > max_speed else 0.05
