"""One remote agent's connection: all its running games' observations in one frame per step.

Every match the agent plays joins the connection (`join`) and asks it for actions each step
(`actions`). The connection waits until every joined match has asked, sends one observation frame
with all their rows, and hands each match its rows of the answer: the agent answers once per step
whatever number of matches and games it plays. Each step has `step_deadline_s`; each match has a
time bank of `time_bank_s`, charged with every step's answer time. A step past its deadline fails
every match waiting on it; a match whose bank is spent fails alone (`SideFailed`: the caller forfeits
its games). An answer for an older step is dropped (counted in `late`), never taken for the next
one. A frame that does not decode closes the connection (`ProtocolError`), failing its matches.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from league.gateway.settings import GatewaySettings
from league.remote import protocol

CLOSE_PROTOCOL, CLOSE_REPLACED = protocol.CLOSE_PROTOCOL, protocol.CLOSE_REPLACED


class SideFailed(Exception):
    """A remote side cannot answer this step (deadline, time bank, disconnect, bad frame)."""


class RemoteConnection:
    """The gateway's end of one authenticated agent connection (snapshot `snapshot_id` of `user`)."""

    def __init__(self, ws: ServerConnection, *, snapshot_id: int, name: str, user: str,
                 settings: GatewaySettings, log: Callable[[str], None]):
        self.ws, self.snapshot_id, self.name, self.user = ws, snapshot_id, name, user
        self.settings, self.log = settings, log
        self.matches: set[int] = set()  # jobs assigned to it (joined or about to)
        self.banks: dict[int, float] = {}  # joined matches and their time left
        self.pending: dict[int, tuple[np.ndarray, np.ndarray, asyncio.Future]] = {}
        self.step = 0
        self.late = 0
        self.closed = asyncio.Event()
        self.close_reason = ""
        self._answer: asyncio.Future | None = None
        self._expected = (0, 0)
        self._flushing = False
        self._game_ids = 0

    # -- matches --------------------------------------------------------------------------------

    def new_game_id(self) -> int:
        self._game_ids += 1
        return self._game_ids

    def join(self, match_id: int) -> None:
        self.banks[match_id] = self.settings.time_bank_s

    def leave(self, match_id: int) -> None:
        self.banks.pop(match_id, None)
        self.matches.discard(match_id)
        waiting = self.pending.pop(match_id, None)
        if waiting is not None and not waiting[2].done():
            waiting[2].set_exception(SideFailed("the match ended"))
        self._maybe_flush()

    async def send_text(self, message_type: str, **fields: Any) -> None:
        try:
            await self.ws.send(protocol.text(message_type, **fields))
        except ConnectionClosed:
            pass

    async def actions(self, match_id: int, game_ids: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """The agent's actions for `match_id`'s running games (rows of `obs`), sent in the next frame."""
        if self.closed.is_set():
            raise SideFailed(self.close_reason or "disconnected")
        future = asyncio.get_running_loop().create_future()
        self.pending[match_id] = (np.asarray(game_ids), np.asarray(obs), future)
        self._maybe_flush()
        return await future

    # -- steps ----------------------------------------------------------------------------------

    def _maybe_flush(self) -> None:
        if not self._flushing and self.pending and len(self.pending) >= len(self.banks):
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        batch, self.pending = self.pending, {}
        try:
            self.step += 1
            ids = np.concatenate([ids for ids, _, _ in batch.values()])
            obs = np.concatenate([obs for _, obs, _ in batch.values()])
            self._answer = asyncio.get_running_loop().create_future()
            self._expected = (self.step, len(ids))
            started = time.monotonic()
            try:
                await self.ws.send(protocol.encode_observations(self.step, ids, obs))
                answer = await asyncio.wait_for(asyncio.shield(self._answer), self.settings.step_deadline_s)
            except TimeoutError:
                self._fail(batch, f"no answer within the step deadline of {self.settings.step_deadline_s} s")
                return
            except (ConnectionClosed, SideFailed) as error:
                self._fail(batch, self.close_reason or f"disconnected ({error})")
                return
            elapsed = time.monotonic() - started
            offset = 0
            for match_id, (game_ids, _, future) in batch.items():
                rows = answer[offset:offset + len(game_ids)]
                offset += len(game_ids)
                if future.done():
                    continue
                if match_id in self.banks:
                    self.banks[match_id] -= elapsed
                    if self.banks[match_id] < 0:
                        future.set_exception(SideFailed(
                            f"time bank of {self.settings.time_bank_s} s for the match spent"))
                        continue
                future.set_result(rows)
        finally:
            self._answer = None
            self._flushing = False
            self._maybe_flush()

    @staticmethod
    def _fail(batch: dict, reason: str) -> None:
        for _, _, future in batch.values():
            if not future.done():
                future.set_exception(SideFailed(reason))

    # -- reading --------------------------------------------------------------------------------

    async def run(self) -> None:
        """Read the agent's answers until the connection closes (or sends what it may not)."""
        try:
            async for message in self.ws:
                if isinstance(message, str):
                    raise protocol.ProtocolError("no text message is expected after the hello")
                step, actions = protocol.decode_actions(message)
                step_now, rows = self._expected
                if self._answer is None or step != step_now:
                    self.late += 1  # an answer for a step that is over: dropped
                    continue
                if len(actions) != rows:
                    raise protocol.ProtocolError(f"step {step}: {len(actions)} actions for {rows} games")
                if not self._answer.done():
                    self._answer.set_result(actions.copy())
        except protocol.ProtocolError as error:
            self.close_reason = f"protocol error: {error}"
            self.log(f"{self.name}: {self.close_reason}; closing its connection")
            await self.send_text("error", code="protocol", message=str(error))
            await self.ws.close(CLOSE_PROTOCOL, str(error)[:120])
        except ConnectionClosed as error:
            self.close_reason = self.close_reason or f"disconnected ({error})"
        finally:
            self.close_reason = self.close_reason or "disconnected"
            self.closed.set()
            if self._answer is not None and not self._answer.done():
                self._answer.set_exception(SideFailed(self.close_reason))
            self._fail(self.pending, self.close_reason)
            self.pending = {}

    async def replace(self) -> None:
        """Close this connection because a newer one authenticated as the same snapshot."""
        self.close_reason = "replaced by a newer connection for the same agent"
        await self.send_text("error", code="replaced", message=self.close_reason)
        await self.ws.close(CLOSE_REPLACED, "replaced")
        await self.closed.wait()
