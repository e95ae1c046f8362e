"""Playing one claimed job at the gateway: each side local (a policy built like any worker's) or
remote (a connection), all games in lock step, forfeits for a side that cannot answer.

A side that fails (a remote one past its deadline, out of its time bank, disconnected or not
connected at all; a local policy that raises) forfeits every game still running: the games that
ended before keep their results, and the match is reported as a whole, rated like any.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from league.core.schemas import GameReport, JobAssignment
from league.gateway.connection import RemoteConnection, SideFailed
from league.gateway.table import A, B, MatchTable
from league.hockey.batch import seat_seed


@dataclass
class Side:
    """One snapshot of a match: a remote connection, a local policy, or nothing (it forfeits: `error`)."""

    name: str
    connection: RemoteConnection | None = None
    policy: Any = None
    threaded: bool = False  # call the policy in a thread (policies built from weights)
    error: str = ""
    game_ids: dict[int, int] | None = None  # remote: table row -> the connection's game id


async def _local_actions(side: Side, obs: np.ndarray) -> np.ndarray:
    try:
        if side.threaded:
            actions = await asyncio.to_thread(side.policy.act, obs)
        else:
            actions = side.policy.act(obs)
        actions = np.asarray(actions, dtype=np.float64)
    except Exception as error:  # noqa: BLE001 (any failure of the policy is its forfeit)
        raise SideFailed(f"policy raised {type(error).__name__}: {error}") from error
    if actions.shape != (len(obs), 4) or not np.isfinite(actions).all():
        raise SideFailed(f"policy returned {actions.shape} or non-finite actions for {len(obs)} games")
    return actions


def _tell_local(side: Side, ended_positions: list[int], batch_size: int) -> None:
    policy = side.policy
    if hasattr(policy, "drop"):
        policy.drop(np.array(ended_positions))
    elif hasattr(policy, "keep_rows"):
        policy.keep_rows(np.setdiff1d(np.arange(batch_size), ended_positions))


async def _game_end(table: MatchTable, sides: dict[str, Side], rows: list[int]) -> None:
    for key, side in sides.items():
        if side.connection is None or side.game_ids is None:
            continue
        for row in rows:
            report: GameReport = table.results[row]
            await side.connection.send_text(
                "game_end", game=side.game_ids[row], match=table.job.job_id, index=report.index,
                result=table.outcome(row, key), reason=report.end_reason, length=report.length,
                winner=report.winner, side=table.player(row, key), detail=report.error)


async def play_table(table: MatchTable, sides: dict[str, Side],
                     lost: Callable[[], bool] = lambda: False,
                     on_step: Callable[[], Awaitable[None]] | None = None) -> list[GameReport]:
    """Play every game of `table` between `sides` (keys `a` and `b`); the reports to post. `lost()`
    True stops early (the lease is gone: nothing will be posted)."""
    job = table.job
    names = {A: sides[A].name, B: sides[B].name}
    failed = {key for key, side in sides.items() if side.error}
    if failed:
        table.forfeit(failed, "; ".join(sides[key].error for key in sorted(failed)))
        return table.reports()
    for key, side in sides.items():
        if side.connection is not None:
            side.connection.join(job.job_id)
            side.game_ids = {}
            for row, game in enumerate(table.games):
                side.game_ids[row] = side.connection.new_game_id()
                await side.connection.send_text(
                    "game_start", game=side.game_ids[row], match=job.job_id, index=game.index, seed=game.seed,
                    side=table.player(row, key), opponent=names[B if key == A else A])
        else:
            side.policy.reset(len(table.games))
            if hasattr(side.policy, "seed_games"):
                side.policy.seed_games([seat_seed(game.seed, table.player(row, key))
                                        for row, game in enumerate(table.games)])
    try:
        while table.running and not lost():
            rows = list(table.running)

            async def ask(key: str, rows: list[int] = rows) -> np.ndarray:
                side, obs = sides[key], table.views(key)
                if side.connection is not None:
                    assert side.game_ids is not None
                    return await side.connection.actions(job.job_id, np.array([side.game_ids[r] for r in rows]), obs)
                return await _local_actions(side, obs)

            answers = await asyncio.gather(ask(A), ask(B), return_exceptions=True)
            errors = {key: answer for key, answer in zip((A, B), answers, strict=True)
                      if isinstance(answer, BaseException)}
            for answer in errors.values():
                if not isinstance(answer, SideFailed):
                    raise answer
            if errors:
                message = "; ".join(f"{names[key]}: {error}" for key, error in sorted(errors.items()))
                ended = table.forfeit(set(errors), message)
                await _game_end(table, sides, ended)
                break
            ended = table.advance(answers[0], answers[1])  # type: ignore[arg-type]
            if ended:
                await _game_end(table, sides, ended)
                if table.running:
                    positions = [rows.index(row) for row in ended]
                    for side in sides.values():
                        if side.connection is None:
                            _tell_local(side, positions, len(rows))
            if on_step is not None:
                await on_step()
    finally:
        for side in sides.values():
            if side.connection is not None:
                side.connection.leave(job.job_id)
    return table.reports()


def as_result(job: JobAssignment, reports: list[GameReport]) -> dict[str, Any]:
    """The JSON body of the job's result post."""
    return {"lease_id": job.lease_id, "games": [report.model_dump(mode="json") for report in reports]}
