"""A PettingZoo `ParallelEnv` view of the two-player game.

Agents "player_one" and "player_two" each see their own view (player two's is the mirrored
`obs_agent_two`) and act in it: 4 floats (force x, force y, torque, shoot).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from .constants import Mode
from .env import HockeyEnv

PLAYER_ONE, PLAYER_TWO = "player_one", "player_two"


class HockeyParallelEnv(ParallelEnv):
    """Both players of `HockeyEnv` as PettingZoo agents; the game ends for both at once."""

    metadata = {"name": "hockey_v0", "render_modes": ["rgb_array"], "is_parallelizable": True}

    def __init__(self, mode: Mode | int | str = Mode.NORMAL, keep_mode: bool = True,
                 render_mode: str | None = None) -> None:
        self.game = HockeyEnv(keep_mode=keep_mode, mode=mode, render_mode=render_mode)
        self.render_mode = render_mode
        self.possible_agents = [PLAYER_ONE, PLAYER_TWO]
        self.agents: list[str] = []
        n = self.game.num_actions
        self.observation_spaces = {agent: self.game.observation_space for agent in self.possible_agents}
        self.action_spaces = {agent: spaces.Box(-1, +1, (n,), dtype=np.float32) for agent in self.possible_agents}

    def observation_space(self, agent: str) -> spaces.Box:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Box:
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start a game; of `options`, "one_starting" and "mode" are used, others ignored (PettingZoo's rule)."""
        known = {key: value for key, value in (options or {}).items() if key in ("one_starting", "mode")}
        obs, info = self.game.reset(seed=seed, options=known)
        self.agents = list(self.possible_agents)
        return (
            {PLAYER_ONE: obs, PLAYER_TWO: self.game.obs_agent_two()},
            {PLAYER_ONE: info, PLAYER_TWO: self.game.get_info_agent_two()},
        )

    def step(self, actions: dict[str, Any]):
        if not self.agents:
            raise RuntimeError("the game is over: call reset() before step()")
        missing = [agent for agent in self.possible_agents if agent not in actions]
        if missing:
            raise ValueError(f"actions are missing for {missing}")
        n = self.game.num_actions
        parts = [np.asarray(actions[agent], dtype=np.float64) for agent in self.possible_agents]
        for agent, part in zip(self.possible_agents, parts, strict=True):
            if part.shape != (n,):
                raise ValueError(f"action of {agent} must have shape ({n},), got {part.shape}")
        obs, reward, terminated, truncated, info = self.game.step(np.concatenate(parts))
        info_two = self.game.get_info_agent_two()
        observations = {PLAYER_ONE: obs, PLAYER_TWO: self.game.obs_agent_two()}
        rewards = {PLAYER_ONE: reward, PLAYER_TWO: self.game.get_reward_agent_two(info_two)}
        terminations = dict.fromkeys(self.possible_agents, terminated)
        truncations = dict.fromkeys(self.possible_agents, truncated)
        infos = {PLAYER_ONE: info, PLAYER_TWO: info_two}
        if terminated or truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self):
        return self.game.render("rgb_array")

    def close(self) -> None:
        self.game.close()


def parallel_env(**kwargs) -> HockeyParallelEnv:
    """PettingZoo's conventional constructor name."""
    return HockeyParallelEnv(**kwargs)
