"""Collected games: the learner (player one) against an opponent, played by the game's `play_games`,
kept as trajectories for the replay buffer.

A view (`agents.training.views`: observation noise, latency) may stand between the game and the
learner; the trajectories then hold the observations the learner acted on.

Reward: +1 when the learner scores, -1 when it concedes, 0 otherwise (the game's own reward is
dense and ten times larger; DreamerV3's return normalisation is built for sparse +1/-1). Optional
shaping adds `reward_shaping` times the game's info terms (closeness to the puck, touching it,
puck direction); it is off by default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from agents.training.views import ObservationView, SeenObservations
from league.hockey import Mode
from league.hockey.batch import LockStep, play_games

SHAPING_TERMS = ("reward_closeness_to_puck", "reward_touch_puck", "reward_puck_direction")


def sparse_reward(info: dict, game_over: bool, shaping: float = 0.0) -> float:
    """+1 / -1 / 0 from `info["winner"]` at the end of a game, plus `shaping` times the dense terms."""
    reward = float(info["winner"]) if game_over else 0.0
    if shaping:
        reward += shaping * sum(float(info[key]) for key in SHAPING_TERMS)
    return reward


@dataclass
class Game:
    """One finished game from the learner's (player one's) side."""

    winner: int  # +1 learner won, -1 lost, 0 draw
    length: int
    terminated: bool  # ended by a goal
    obs: np.ndarray  # (length + 1, 18)
    actions: np.ndarray  # (length, 4), as the learner answered them
    rewards: np.ndarray  # (length,)
    mode: Mode = Mode.NORMAL  # NORMAL (250 steps) or a training drill (80 steps); a time limit is no terminal
    finished: bool = True  # False: stopped unfinished at the step budget (`max_steps`), no winner


def collect_games(learner, opponent, seeds: Sequence[int], *, one_starting: Sequence[bool] | None = None,
                  modes: Sequence[Mode | int] | None = None, reward_shaping: float = 0.0,
                  on_step: Callable[[int], None] | None = None, max_steps: int | None = None,
                  view: ObservationView | None = None) -> list[Game]:
    """Play one game per seed in lock step, learner as player one, opponent as player two; games in seed order.

    Both are batched policies (`league.hockey.batch.Policy`). `one_starting[i]` says who gets the
    puck in game i (default: alternating, player one first); `modes[i]` is game i's `Mode`
    (default: all NORMAL; in the training drills the learner shoots, or defends its goal, for at
    most 80 steps). `on_step(n)` is called after each step with the number of games that stepped,
    once the policies know which games ended (training hooks in here). `max_steps` (at least one per
    game) bounds the steps of all games together: games still running then stop unfinished
    (`finished` False, kept as trajectories truncated like a time limit). `view` stands between the
    game and the learner: each game's observations are then the view's (its last one too)."""
    trajectories: list[tuple[list, list, list]] = [([], [], []) for _ in seeds]
    seen = SeenObservations(learner) if view is not None else None
    acting = view.wrap(seen) if view is not None else learner
    game_obs: list[list] = [[] for _ in seeds]  # the game's own observations, for the view's last one

    def keep(step: LockStep) -> None:
        acted_on = step.obs if seen is None else seen.seen
        for row, i in enumerate(step.games):
            obs, actions, rewards = trajectories[i]
            if obs:
                obs[-1] = acted_on[row]  # the observation it acted on, in place of the game's own
            else:
                obs.append(acted_on[row])
            obs.append(step.next_obs[row])
            if view is not None:
                game_obs[i] = game_obs[i] or [step.obs[row]]
                game_obs[i].append(step.next_obs[row])
            actions.append(step.actions[row])
            rewards.append(sparse_reward(step.infos[row], step.done[row], reward_shaping))
        if on_step is not None:
            on_step(len(step.games))

    results = play_games(acting, opponent, seeds, one_starting, mode=Mode.NORMAL if modes is None else modes,
                         on_step=keep, max_steps=max_steps)
    if view is not None:
        for (obs, _, _), own in zip(trajectories, game_obs, strict=True):
            obs[-1] = view.last(np.asarray(own))
    return [Game(int(result.winner), result.length, result.end_reason == "goal", np.asarray(obs),
                 np.asarray(actions).reshape(-1, 4), np.asarray(rewards), result.mode, result.end_reason != "cut")
            for result, (obs, actions, rewards) in zip(results, trajectories, strict=True)]

