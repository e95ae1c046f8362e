"""`HockeyEnv`: the two-player hockey game, step for step the same as upstream `hockey` 2.6.

Differences from upstream, all deliberate (see README "The game"):
- `step` returns gymnasium's meaning: `terminated` on a goal, `truncated` on the time limit
  (upstream reports both as terminated and never truncates);
- `reset(seed=None)` continues the environment's random generator, as gymnasium asks
  (upstream draws fresh entropy);
- fixed upstream bugs: reset clears the keep-puck counters; `reset(mode=...)` works;
- bad actions (wrong shape, NaN, infinite) raise ValueError instead of corrupting the game.
"""

from __future__ import annotations

import math
from typing import Any

import Box2D
import gymnasium as gym
import numpy as np
from gymnasium import spaces

from . import controls
from .constants import (
    CENTER_X,
    CENTER_Y,
    GOAL_SIZE,
    MAX_PUCK_SPEED,
    MAX_TIME_KEEP_PUCK,
    MAX_TIMESTEPS,
    POSITION_ITERATIONS,
    SCALE,
    SHOOTFORCEMULTIPLIER,
    TIME_STEP,
    VELOCITY_ITERATIONS,
    H,
    Mode,
    W,
    f32,
    parse_mode,
)
from .render import draw_frame
from .world import ContactListener, create_player, create_puck, create_rink

_CLOSENESS_MAX_DIST = 250.0 / SCALE
_CLOSENESS_MAX_REWARD = -30.0


class HockeyEnv(gym.Env):
    """Two players, one puck. Actions: 4 floats per player (force x, force y, torque, shoot).

    `step(np.hstack([a1, a2]))` takes player two's action in its own (mirrored) view, the view
    `obs_agent_two()` returns. Without keep mode, 3 floats per player (no shoot).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(self, keep_mode: bool = True, mode: Mode | int | str = Mode.NORMAL, verbose: bool = False,
                 render_mode: str | None = None) -> None:
        self.mode = parse_mode(mode)
        self.keep_mode = bool(keep_mode)
        self.verbose = verbose
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"unsupported render_mode {render_mode!r}: only 'rgb_array' is available")
        self.render_mode = render_mode
        self.world = Box2D.b2World(gravity=(0, 0))
        self.world.contactListener = self._contact_listener = ContactListener(self)
        self.player1 = self.player2 = self.puck = None
        self.goal_player_1 = self.goal_player_2 = None
        self.world_objects: list[Box2D.b2Body] = []
        self.player1_has_puck = 0
        self.player2_has_puck = 0
        self.done = False
        self.winner = 0
        self.one_starting = True
        self.time = 0
        self.max_timesteps = MAX_TIMESTEPS[self.mode]
        self.timeStep = TIME_STEP
        self.num_actions = 4 if self.keep_mode else 3
        n_obs = 18 if self.keep_mode else 16
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(n_obs,), dtype=np.float64)
        self.action_space = spaces.Box(-1, +1, (self.num_actions * 2,), dtype=np.float32)
        self.discrete_action_space = spaces.Discrete(8 if self.keep_mode else 7)
        self.reset(one_starting=True)

    # ----------------------------------------------------------------- reset
    def reset(self, one_starting: bool | None = None, mode: Mode | int | str | None = None,
              seed: int | None = None, options: dict[str, Any] | None = None):
        """Start a new game; returns `(obs, info)`.

        `one_starting` (who gets the puck in NORMAL mode; alternates when not given) and
        `mode` may also come as gymnasium `options={"one_starting": ..., "mode": ...}`.
        """
        if options:
            unknown = set(options) - {"one_starting", "mode"}
            if unknown:
                raise ValueError(f"unknown reset options {sorted(unknown)}: expected 'one_starting', 'mode'")
            if "one_starting" in options:
                if one_starting is not None:
                    raise ValueError("one_starting given both as an argument and in options")
                one_starting = options["one_starting"]
            if "mode" in options:
                if mode is not None:
                    raise ValueError("mode given both as an argument and in options")
                mode = options["mode"]
        new_mode = self.mode if mode is None else parse_mode(mode)
        super().reset(seed=seed)
        self.mode = new_mode
        self._destroy()
        self.done = False
        self.winner = 0
        self.time = 0
        self.player1_has_puck = 0
        self.player2_has_puck = 0
        self.max_timesteps = MAX_TIMESTEPS[self.mode]
        if self.mode == Mode.NORMAL:
            self.one_starting = (not self.one_starting) if one_starting is None else bool(one_starting)
        self._create_bodies()
        return self._get_obs(), self._get_info()

    def _uniform(self, low: float, high: float) -> float:
        return self.np_random.uniform(low, high, 1)[0]

    def _destroy(self) -> None:
        if self.player1 is None:
            return
        world = self.world
        for body in (self.player1, self.player2, self.puck, self.goal_player_1, self.goal_player_2):
            world.DestroyBody(body)
        for body in self.world_objects:
            world.DestroyBody(body)
        self.player1 = self.player2 = self.puck = None
        self.world_objects = []

    def _create_bodies(self) -> None:
        rink = create_rink(self.world)
        self.world_objects = rink.fixed
        self.goal_player_1, self.goal_player_2 = rink.goal_one, rink.goal_two
        self.player1 = create_player(self.world, (W / 5, H / 2), is_player_two=False)
        if self.mode == Mode.NORMAL:
            position_two = (4 * W / 5, H / 2)
        else:
            x = 4 * W / 5 + self._uniform(-W / 3, W / 6)
            position_two = (x, H / 2 + self._uniform(-H / 4, H / 4))
        self.player2 = create_player(self.world, position_two, is_player_two=True)
        if self.mode == Mode.TRAIN_DEFENSE:
            x = W / 2 + self._uniform(0, W / 3)
            self.puck = create_puck(self.world, (x, H / 2 + 0.8 * self._uniform(-H / 2, H / 2)))
            target_y = H / 2 + 0.6 * self._uniform(-GOAL_SIZE / SCALE, GOAL_SIZE / SCALE)
            direction = self.puck.position - (0, target_y)
            direction = direction / direction.length
            force = -direction * SHOOTFORCEMULTIPLIER * self.puck.mass / TIME_STEP
            self.puck.ApplyForceToCenter(force, True)
        else:
            sign = -1 if (self.one_starting or self.mode == Mode.TRAIN_SHOOTING) else 1
            x = W / 2 + sign * self._uniform(H / 8, H / 4)
            self.puck = create_puck(self.world, (x, H / 2 + self._uniform(-H / 8, H / 8)))
        self._masses = (self.player1.mass, self.player2.mass)
        self._state = None

    # ------------------------------------------------------------------ step
    def _checked_action(self, action) -> list[float]:
        """The action as float32-rounded Python floats, clipped to [-1, 1]; ValueError if malformed."""
        n = 2 * self.num_actions
        try:
            values = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(f"action must be {n} numbers, got {action!r}") from error
        if values.shape != (n,):
            raise ValueError(
                f"action must have shape ({n},) ({self.num_actions} per player), got shape {values.shape}"
            )
        values = values.tolist()
        for value in values:
            if not -np.inf < value < np.inf:
                raise ValueError(f"action must be finite, got {values} (NaN or infinite)")
        return [f32(1.0 if v > 1.0 else -1.0 if v < -1.0 else v) for v in values]

    def step(self, action):
        """Advance one step; returns `(obs, reward, terminated, truncated, info)`."""
        self._advance(self._checked_action(action))
        obs = self._get_obs()
        info = self._get_info()
        reward = self.get_reward(info)
        goal = self.winner != 0
        return obs, reward, self.done and goal, self.done and not goal, info

    def _advance(self, a: list[float]) -> None:
        """One step with a checked action: forces, keep mode, physics, time limit."""
        two = self.num_actions
        p1, p2, puck = self.player1, self.player2, self.puck
        mass1, mass2 = self._masses
        controls.push_player(p1, mass1, a[0], a[1], True)
        controls.turn_player(p1, mass1, a[2])
        controls.push_player(p2, mass2, a[two], a[two + 1], False)
        controls.turn_player(p2, mass2, a[two + 2])
        controls.limit_puck_speed(puck, MAX_PUCK_SPEED)
        if self.keep_mode:
            if self.player1_has_puck > 1:
                controls.carry_puck(puck, p1)
                self.player1_has_puck -= 1
                if self.player1_has_puck == 1 or a[3] > 0.5:
                    controls.shoot_puck(puck, p1, True)
                    self.player1_has_puck = 0
            if self.player2_has_puck > 1:
                controls.carry_puck(puck, p2)
                self.player2_has_puck -= 1
                if self.player2_has_puck == 1 or a[two + 3] > 0.5:
                    controls.shoot_puck(puck, p2, False)
                    self.player2_has_puck = 0
        self.world.Step(TIME_STEP, VELOCITY_ITERATIONS, POSITION_ITERATIONS)
        self._state = self._read_state()
        if self.time >= self.max_timesteps:  # checked before the step is counted, as upstream
            self.done = True
        self.time += 1

    # ----------------------------------------------------------- observation
    def _read_state(self) -> tuple[float, ...]:
        """Player one, player two (x, y, angle, vx, vy, w each), puck (x, y, vx, vy): 16 floats."""
        values = []
        for body in (self.player1, self.player2):
            position, velocity = body.position, body.linearVelocity
            values += (position.x, position.y, body.angle, velocity.x, velocity.y, body.angularVelocity)
        position, velocity = self.puck.position, self.puck.linearVelocity
        values += (position.x, position.y, velocity.x, velocity.y)
        return tuple(values)

    def _current_state(self) -> tuple[float, ...]:
        if self._state is None:
            self._state = self._read_state()
        return self._state

    def _views(self) -> tuple[list[float], list[float]]:
        """Both players' observations, as lists, from the state last read."""
        x1, y1, a1, vx1, vy1, w1, x2, y2, a2, vx2, vy2, w2, xp, yp, vxp, vyp = self._current_state()
        # Box2D subtracts the centre in float32.
        rx1, ry1, rx2, ry2 = f32(x1 - CENTER_X), f32(y1 - CENTER_Y), f32(x2 - CENTER_X), f32(y2 - CENTER_Y)
        rxp, ryp = f32(xp - CENTER_X), f32(yp - CENTER_Y)
        one = [rx1, ry1, a1, vx1, vy1, w1, rx2, ry2, a2, vx2, vy2, w2, rxp, ryp, vxp, vyp]
        two = [-rx2, -ry2, a2, -vx2, -vy2, w2, -rx1, -ry1, a1, -vx1, -vy1, w1, -rxp, -ryp, -vxp, -vyp]
        if self.keep_mode:
            one += (self.player1_has_puck, self.player2_has_puck)
            two += (self.player2_has_puck, self.player1_has_puck)
        return one, two

    def _get_obs(self) -> np.ndarray:
        """Player one's view: positions relative to the centre, angle, velocities; then keep counters."""
        return np.array(self._views()[0], dtype=np.float64)

    def obs_agent_two(self) -> np.ndarray:
        """Player two's view: the point-mirror of player one's (its own values first)."""
        self._state = self._read_state()
        return np.array(self._views()[1], dtype=np.float64)

    # ------------------------------------------------------ reward and info
    def _game_reward(self) -> float:
        if not self.done:
            return 0.0
        return 10.0 * self.winner

    def _closeness(self, player_x: float, player_y: float, puck_x: float, puck_y: float) -> float:
        dx, dy = f32(player_x - puck_x), f32(player_y - puck_y)
        factor = _CLOSENESS_MAX_REWARD / (_CLOSENESS_MAX_DIST * self.max_timesteps / 2)
        return math.sqrt(dx * dx + dy * dy) * factor

    def _get_info(self) -> dict[str, Any]:
        """Player one's info: winner and the three reward components."""
        x1, y1, _, _, _, _, _, _, _, _, _, _, xp, yp, vxp, _ = self._current_state()
        closeness = self._closeness(x1, y1, xp, yp) if xp < CENTER_X and vxp <= 0 else 0.0
        return {
            "winner": self.winner,
            "reward_closeness_to_puck": float(closeness),
            "reward_touch_puck": 1.0 if self.player1_has_puck == MAX_TIME_KEEP_PUCK else 0.0,
            "reward_puck_direction": vxp * (1.0 / (self.max_timesteps * MAX_PUCK_SPEED)),
        }

    def get_info_agent_two(self) -> dict[str, Any]:
        """Player two's info: the mirror of `_get_info`."""
        self._state = self._read_state()
        _, _, _, _, _, _, x2, y2, _, _, _, _, xp, yp, vxp, _ = self._state
        closeness = self._closeness(x2, y2, xp, yp) if xp > CENTER_X and vxp >= 0 else 0.0
        return {
            "winner": -self.winner,
            "reward_closeness_to_puck": float(closeness),
            "reward_touch_puck": 1.0 if self.player2_has_puck == MAX_TIME_KEEP_PUCK else 0.0,
            "reward_puck_direction": -vxp * (1.0 / (self.max_timesteps * MAX_PUCK_SPEED)),
        }

    def get_reward(self, info: dict[str, Any]) -> float:
        """Player one's step reward: game reward (at the end) plus closeness to the puck."""
        return float(self._game_reward() + info["reward_closeness_to_puck"])

    def get_reward_agent_two(self, info_two: dict[str, Any]) -> float:
        """Player two's step reward, from `get_info_agent_two()`."""
        return float(-self._game_reward() + info_two["reward_closeness_to_puck"])

    # ------------------------------------------------------------- the rest
    def set_state(self, state) -> None:
        """Put the bodies (and keep counters) where an observation of player one says."""
        n = 18 if self.keep_mode else 16
        state = np.asarray(state, dtype=np.float64)
        if state.shape != (n,) or not np.all(np.isfinite(state)):
            raise ValueError(f"state must be {n} finite numbers (an observation), got shape {state.shape}")
        s = state.tolist()
        for body, base in ((self.player1, 0), (self.player2, 6)):
            body.position = (s[base] + CENTER_X, s[base + 1] + CENTER_Y)
            body.angle = s[base + 2]
            body.linearVelocity = (s[base + 3], s[base + 4])
            body.angularVelocity = s[base + 5]
        self.puck.position = (s[12] + CENTER_X, s[13] + CENTER_Y)
        self.puck.linearVelocity = (s[14], s[15])
        if self.keep_mode:
            self.player1_has_puck, self.player2_has_puck = int(s[16]), int(s[17])
        self._state = None

    def discrete_to_continous_action(self, discrete_action: int) -> list[float]:
        """One of the discrete actions (0 nothing, 1/2 x -/+, 3/4 y -/+, 5/6 angle -/+, 7 shoot)."""
        if discrete_action not in range(self.discrete_action_space.n):
            raise ValueError(f"discrete action must be 0..{self.discrete_action_space.n - 1}, got {discrete_action!r}")
        action = [
            (discrete_action == 1) * -1.0 + (discrete_action == 2) * 1.0,
            (discrete_action == 3) * -1.0 + (discrete_action == 4) * 1.0,
            (discrete_action == 5) * -1.0 + (discrete_action == 6) * 1.0,
        ]
        if self.keep_mode:
            action.append((discrete_action == 7) * 1.0)
        return action

    def render(self, mode: str | None = None):
        """The rink as a (480, 600, 3) uint8 picture (`mode="rgb_array"`; needs Pillow)."""
        mode = mode or self.render_mode or "rgb_array"
        if mode != "rgb_array":
            raise ValueError(f"unsupported render mode {mode!r}: only 'rgb_array' is available")
        return draw_frame(self._current_state())

    def close(self) -> None:
        self._destroy()
