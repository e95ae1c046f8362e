"""One match's games on the gateway's side of the table: environments stepped in lock step.

The match's two snapshots each play their own view in every game (player one in some, player two in
the others, as planned). `views(side)` gives a snapshot's views of the running games, `advance`
applies both snapshots' actions (in their own views, clipped to [-1, 1] and float32-rounded as batched
play does) and returns the games that ended, and `forfeit` ends the running games with a forfeit by
one snapshot (or both). `reports()` is the result to post, once no game runs.
"""

from __future__ import annotations

import numpy as np

from league.core.schemas import GameReport, JobAssignment
from league.hockey.env import HockeyEnv
from league.hockey.record import GameRecorder

A, B = "a", "b"


class MatchTable:
    """The games of one job; `running` lists the indices (into `job.games`) still being played."""

    def __init__(self, job: JobAssignment, *, record: bool = True):
        self.job = job
        self.games = list(job.games)
        self.envs = [HockeyEnv() for _ in self.games]
        self.recorders: list[GameRecorder | None] = []
        for game, env in zip(self.games, self.envs, strict=True):
            env.reset(one_starting=game.one_starting, seed=game.seed)
            self.recorders.append(GameRecorder(env, seed=game.seed, one_starting=game.one_starting) if record else None)
        self.views_now = [env._views() for env in self.envs]
        self.running = list(range(len(self.games)))
        self.results: dict[int, GameReport] = {}

    def player(self, row: int, side: str) -> int:
        """1 or 2: which player snapshot `side` is in game `row`."""
        a_one = self.games[row].a_is_player_one
        return 1 if (side == A) == a_one else 2

    def views(self, side: str) -> np.ndarray:
        """(m, 18) own views of `side` in the running games, in `running` order."""
        return np.array([self.views_now[row][self.player(row, side) - 1] for row in self.running])

    def advance(self, actions_a: np.ndarray, actions_b: np.ndarray) -> list[int]:
        """Step every running game; returns the rows (indices into `games`) that ended."""
        clipped_a = np.clip(np.asarray(actions_a, dtype=np.float64), -1, 1).astype(np.float32).tolist()
        clipped_b = np.clip(np.asarray(actions_b, dtype=np.float64), -1, 1).astype(np.float32).tolist()
        ended = []
        for k, row in enumerate(self.running):
            env = self.envs[row]
            one, two = (clipped_a[k], clipped_b[k]) if self.player(row, A) == 1 else (clipped_b[k], clipped_a[k])
            action = one + two
            env._advance(action)
            self.views_now[row] = env._views()
            recorder = self.recorders[row]
            if recorder is not None:
                recorder.add_step(env, action)
            if env.done:
                reason = "goal" if env.winner != 0 else "time_limit"
                record = recorder.finish(env) if recorder is not None else None
                self.results[row] = GameReport(index=self.games[row].index, winner=env.winner, length=env.time,
                                               end_reason=reason, record=record)
                ended.append(row)
        self.running = [row for row in self.running if row not in set(ended)]
        return ended

    def forfeit(self, failed: set[str], error: str) -> list[int]:
        """End every running game with a forfeit by the sides in `failed` ({a}, {b} or both); returns
        the rows it ended."""
        ended = list(self.running)
        for row in ended:
            if failed == {A, B}:
                side, winner = 0, 0
            else:
                side = self.player(row, next(iter(failed)))
                winner = -1 if side == 1 else 1
            self.results[row] = GameReport(index=self.games[row].index, winner=winner, length=self.envs[row].time,
                                           end_reason="forfeit", forfeit_side=side, error=error[:500])
        self.running = []
        return ended

    def outcome(self, row: int, side: str) -> str:
        """win, draw or loss of `side` in the finished game `row`."""
        winner = self.results[row].winner
        if winner == 0:
            return "draw"
        return "win" if (winner == 1) == (self.player(row, side) == 1) else "loss"

    def reports(self) -> list[GameReport]:
        return [self.results[row] for row in sorted(self.results, key=lambda r: self.games[r].index)]

    def close(self) -> None:
        for env in self.envs:
            env.close()
