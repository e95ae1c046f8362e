"""Replay of whole games, sampled as fixed-length sequences.

Alignment (one entry per observation; a game of L steps has L + 1 entries):

    entry t:  obs[t]          the observation at time t (t = 0 right after reset)
              prev_action[t]  the action that led to obs[t] (zeros at t = 0)
              reward[t]       the reward of that transition (0 at t = 0)
              cont[t]         0 if obs[t] ends the game by a goal, else 1 (a time limit is not an end:
                              the game stops but the state is not terminal)
              first[t]        1 at t = 0, else 0

A sampled sequence starts anywhere in a game chosen with probability proportional to its length;
when the game runs out before `seq_length`, the sequence continues at the start of another game,
whose first entry carries first = 1, so the world model resets its state there. Nothing else
crosses a game boundary.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np

FIELDS = ("obs", "prev_action", "reward", "cont", "first")


class EpisodeBuffer:
    def __init__(self, capacity: int, obs_dim: int = 18, action_dim: int = 4):
        if capacity < 1:
            raise ValueError("buffer capacity must be at least 1 step")
        self.capacity, self.obs_dim, self.action_dim = capacity, obs_dim, action_dim
        self.episodes: deque[dict[str, np.ndarray]] = deque()
        self.size = 0  # stored entries
        self.total_added = 0  # entries ever added
        self._rng = np.random.default_rng()

    def __len__(self) -> int:
        return self.size

    @property
    def num_episodes(self) -> int:
        return len(self.episodes)

    def add_episode(self, obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray, terminated: bool) -> None:
        """Store one game: obs (L + 1, obs_dim) including the last, actions (L, action_dim) and
        rewards (L,); `terminated` says whether it ended by a goal (else by the time limit)."""
        obs = np.asarray(obs, dtype=np.float32)
        actions = np.asarray(actions, dtype=np.float32).reshape(-1, self.action_dim)
        rewards = np.asarray(rewards, dtype=np.float32).reshape(-1)
        steps = len(actions)
        if obs.shape != (steps + 1, self.obs_dim) or rewards.shape != (steps,):
            raise ValueError(
                f"a game of {steps} actions needs obs of shape {(steps + 1, self.obs_dim)} and {steps} "
                f"rewards, got obs {obs.shape} and rewards {rewards.shape}"
            )
        prev_action = np.zeros((steps + 1, self.action_dim), np.float32)
        prev_action[1:] = actions
        reward = np.zeros(steps + 1, np.float32)
        reward[1:] = rewards
        cont = np.ones(steps + 1, np.float32)
        cont[-1] = 0.0 if terminated else 1.0
        first = np.zeros(steps + 1, np.float32)
        first[0] = 1.0
        self._append({"obs": obs, "prev_action": prev_action, "reward": reward, "cont": cont, "first": first})

    def _append(self, episode: dict[str, np.ndarray]) -> None:
        self.episodes.append(episode)
        length = len(episode["first"])
        self.size += length
        self.total_added += length
        while self.size > self.capacity and len(self.episodes) > 1:
            self.size -= len(self.episodes.popleft()["first"])

    def sample(self, batch_size: int, seq_length: int, rng: np.random.Generator | None = None,
               end_share: float = 0.0, scored_share: float | None = None) -> dict[str, np.ndarray]:
        """`batch_size` sequences of `seq_length` entries, batch-major: obs (B, T, obs_dim), ...

        `end_share`: the expected share of sequences drawn to contain the last entry of a game
        decided by a goal, at a uniform position in the sequence (the rare +1/-1 rewards and
        terminal continues are seen that much more often). `scored_share`: of those sequences, the
        share whose game the learner won (its last reward positive), when the buffer holds both won
        and lost games (else all come from the kind it holds); None draws among all decided games
        alike. `rng`: the generator to draw with (the buffer's own when not given)."""
        rng = rng or self._rng
        if scored_share is not None and not 0 <= scored_share <= 1:
            raise ValueError(f"scored_share must be in [0, 1] or None, got {scored_share}")
        if not self.episodes:
            raise ValueError("cannot sample from an empty buffer")
        lengths = np.fromiter((len(e["first"]) for e in self.episodes), dtype=np.int64, count=len(self.episodes))
        probs = lengths / lengths.sum()
        scored, conceded = self._decided_games() if end_share > 0 else (np.zeros(0, int), np.zeros(0, int))
        out = {
            "obs": np.empty((batch_size, seq_length, self.obs_dim), np.float32),
            "prev_action": np.empty((batch_size, seq_length, self.action_dim), np.float32),
            **{k: np.empty((batch_size, seq_length), np.float32) for k in ("reward", "cont", "first")},
        }
        for row in range(batch_size):
            if (len(scored) or len(conceded)) and rng.random() < end_share:
                if scored_share is None or not len(scored) or not len(conceded):
                    pool = np.concatenate([scored, conceded])
                else:
                    pool = scored if rng.random() < scored_share else conceded
                index = int(pool[rng.integers(len(pool))])
                start = max(0, int(lengths[index]) - int(rng.integers(1, seq_length + 1)))
            else:
                index = rng.choice(len(lengths), p=probs)
                start = int(rng.integers(lengths[index]))
            filled = 0
            while filled < seq_length:
                episode = self.episodes[index]
                take = min(seq_length - filled, lengths[index] - start)
                for key in FIELDS:
                    out[key][row, filled:filled + take] = episode[key][start:start + take]
                filled += take
                index, start = int(rng.integers(len(lengths))), 0
        return out

    def _decided_games(self) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the stored games decided by a goal: (those the learner scored, those it conceded)."""
        decided = np.array([e["cont"][-1] == 0.0 for e in self.episodes])
        won = np.array([e["reward"][-1] > 0.0 for e in self.episodes])
        return np.flatnonzero(decided & won), np.flatnonzero(decided & ~won)

    # ----- persistence -----
    def save(self, path: str | Path) -> None:
        """Write all stored games to one .npz file (atomically: a temporary file, then a rename)."""
        path = Path(path)
        arrays = {key: np.concatenate([e[key] for e in self.episodes]) if self.episodes else
                  np.zeros((0,), np.float32) for key in FIELDS}
        arrays["lengths"] = np.array([len(e["first"]) for e in self.episodes], np.int64)
        arrays["meta"] = np.array([self.capacity, self.total_added], np.int64)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path, capacity: int | None = None, obs_dim: int = 18, action_dim: int = 4) -> EpisodeBuffer:
        with np.load(Path(path)) as data:
            saved_capacity, total_added = (int(x) for x in data["meta"])
            buffer = cls(capacity or saved_capacity, obs_dim, action_dim)
            bounds = np.concatenate([[0], np.cumsum(data["lengths"])])
            columns = {key: data[key] for key in FIELDS}
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
                buffer._append({key: columns[key][lo:hi].copy() for key in FIELDS})
        buffer.total_added = total_added
        return buffer
