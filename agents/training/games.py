"""Games in lock step: one batched `act` per side per step, for collection and for evaluation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from agents.training.env import sparse_reward
from league.hockey import HockeyEnv, Mode


@dataclass
class Game:
    """One finished game from the learner's (player one's) side."""

    winner: int  # +1 learner won, -1 lost, 0 draw
    length: int
    terminated: bool  # ended by a goal
    obs: np.ndarray  # (length + 1, 18)
    actions: np.ndarray  # (length, 4)
    rewards: np.ndarray  # (length,)
    mode: Mode = Mode.NORMAL  # NORMAL (250 steps) or a training drill (80 steps); a time limit is no terminal


def tell_finished(policy, finished: np.ndarray, still: np.ndarray) -> None:
    """Tell a stateful policy which rows of its last batch ended (`drop`) or go on (`keep_rows`),
    the same rule as the game's `play_games`."""
    if hasattr(policy, "drop"):
        policy.drop(finished)
    elif hasattr(policy, "keep_rows"):
        policy.keep_rows(still)


class LockstepGames:
    """A fixed set of game instances, reused; `play` runs up to that many games at once."""

    def __init__(self, count: int, reward_shaping: float = 0.0):
        self.envs = [HockeyEnv() for _ in range(count)]
        self.reward_shaping = reward_shaping

    def play(self, learner, opponent, seeds: list[int], on_step: Callable[[int], None] | None = None,
             keep_trajectories: bool = True, one_starting: list[bool] | None = None,
             modes: list[Mode | int] | None = None) -> list[Game]:
        """Play one game per seed (at most `count`), learner as player one, opponent as player two.

        Both are batched policies; when games finish, they are told with `drop(finished rows)` or
        `keep_rows(running rows)`, whichever they have. `on_step(n)` is called after each step with the number of games
        that stepped (training hooks in here). `one_starting[i]` says who gets the puck in game i
        (default: alternating, player one first); `modes[i]` is game i's `Mode` (default: all NORMAL;
        in the training drills the learner shoots, or defends its goal, for at most 80 steps)."""
        n = len(seeds)
        if n > len(self.envs):
            raise ValueError(f"at most {len(self.envs)} games at once, asked for {n}")
        envs = self.envs[:n]
        if one_starting is None:
            one_starting = [i % 2 == 0 for i in range(n)]
        modes = [Mode(int(m)) for m in modes] if modes is not None else [Mode.NORMAL] * n
        obs_one = [env.reset(one_starting=bool(first), mode=mode, seed=int(seed))[0]
                   for env, seed, first, mode in zip(envs, seeds, one_starting, modes, strict=True)]
        obs_two = [env.obs_agent_two() for env in envs]
        learner.reset(n)
        opponent.reset(n)
        trajectories = [([o], [], []) for o in obs_one]
        results: list[Game | None] = [None] * n
        active = list(range(n))
        while active:
            actions_one = np.asarray(learner.act(np.stack([obs_one[i] for i in active])), dtype=np.float64)
            actions_two = np.asarray(opponent.act(np.stack([obs_two[i] for i in active])), dtype=np.float64)
            still = []
            for k, i in enumerate(active):
                obs, _, terminated, truncated, info = envs[i].step(np.hstack([actions_one[k], actions_two[k]]))
                over = terminated or truncated
                obs_one[i], obs_two[i] = obs, envs[i].obs_agent_two()
                if keep_trajectories:
                    trajectories[i][0].append(obs)
                    trajectories[i][1].append(actions_one[k])
                    trajectories[i][2].append(sparse_reward(info, over, self.reward_shaping))
                if over:
                    traj = trajectories[i]
                    results[i] = Game(int(info["winner"]), envs[i].time, bool(terminated),
                                      np.asarray(traj[0]), np.asarray(traj[1]).reshape(-1, 4), np.asarray(traj[2]),
                                      modes[i])
                    trajectories[i] = ([], [], [])
                else:
                    still.append(k)
            stepped = len(active)
            if len(still) < len(active):
                if still:
                    finished = np.setdiff1d(np.arange(len(active)), still)
                    for policy in (learner, opponent):
                        tell_finished(policy, finished, np.asarray(still))
                active = [active[k] for k in still]
            if on_step is not None:
                on_step(stepped)
        return results
