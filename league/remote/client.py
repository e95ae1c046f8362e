"""The remote-agent client: plays a program's agent in a league, from the program's own machine.

Write one class with `act(obs_batch) -> actions` ((m, 18) float32 own views of the agent's m running
games in, (m, 4) actions out; the rows' game ids are the second argument of `act_games(game_ids,
obs_batch)` if the class defines that instead) and, if it wants them, `on_game_start(game)` and
`on_game_end(game)` (the gateway's `game_start` / `game_end` messages as dicts). Then:

    from league.remote.client import connect
    connect("https://league.example.org", agent="my-agent", version="v1", policy=MyAgent(), token=...)

`connect` asks the server where its gateway is, connects, and plays until stopped. After a network
error or a server restart it reconnects with exponential backoff (1 s doubling to 30 s, with jitter);
a refusal (wrong token, another user's agent) or being replaced by a newer connection ends it. It
says what it is doing through `log`. `league connect` is the same on the command line.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from league.remote import protocol

FINAL_ERRORS = ("unauthorized", "forbidden", "refused", "protocol", "replaced")  # reconnecting would not help


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


class Refused(Exception):
    """The gateway refused this client for good (`code`: unauthorized, forbidden, refused, protocol or
    replaced); reconnecting would not help."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass
class ClientStats:
    """What a client has played so far (over all its connections)."""

    connections: int = 0
    steps: int = 0
    games: int = 0
    results: dict[str, int] = field(default_factory=lambda: {"win": 0, "draw": 0, "loss": 0})


def gateway_address(server_url: str, *, timeout: float = 10.0) -> str:
    """The gateway's WebSocket address, from the league server's `GET /api/gateway`."""
    base = server_url.strip().rstrip("/")
    base = base[: -len("/api")] if base.endswith("/api") else base
    answer = httpx.get(f"{base}/api/gateway", timeout=timeout)
    answer.raise_for_status()
    url = answer.json().get("url")
    if not url:
        raise Refused("refused", f"the league at {base} runs no agent gateway (GET /api/gateway has no url)")
    return url


class Session:
    """One connection's play: answer every observation frame with an action frame of the same step."""

    def __init__(self, ws: ClientConnection, policy: Any, stats: ClientStats, log: Callable[[str], None]):
        self.ws, self.policy, self.stats, self.log = ws, policy, stats, log
        self._act_games = getattr(policy, "act_games", None)

    async def _act(self, game_ids: np.ndarray, obs: np.ndarray) -> np.ndarray:
        if self._act_games is not None:
            return await asyncio.to_thread(self._act_games, game_ids, obs)
        return await asyncio.to_thread(self.policy.act, obs)

    async def play(self) -> None:
        async for message in self.ws:
            if isinstance(message, bytes):
                step, game_ids, obs = protocol.decode_observations(message)
                actions = np.asarray(await self._act(game_ids, obs), dtype=np.float32)
                if actions.shape != (len(obs), protocol.ACTION_DIM) or not np.isfinite(actions).all():
                    raise ValueError(f"act returned {actions.shape} (or non-finite) actions for {len(obs)} games")
                await self.ws.send(protocol.encode_actions(step, actions))
                self.stats.steps += 1
                continue
            self._on_text(protocol.parse_text(message))

    def _on_text(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "game_start":
            hook = getattr(self.policy, "on_game_start", None)
        elif kind == "game_end":
            self.stats.games += 1
            result = message.get("result")
            if result in self.stats.results:
                self.stats.results[result] += 1
            if message.get("reason") == "forfeit":
                self.log(f"game {message.get('game')} forfeited: {message.get('detail', '')}")
            hook = getattr(self.policy, "on_game_end", None)
        elif kind == "error":
            raise Refused(str(message.get("code", "error")), str(message.get("message", "")))
        else:
            hook = None
        if hook is not None:
            hook(message)


async def _one_connection(url: str, hello: dict[str, Any], policy: Any, stats: ClientStats,
                          log: Callable[[str], None], stop: asyncio.Event | None = None) -> None:
    async with ws_connect(url, compression=None, max_size=None, open_timeout=10) as ws:
        await ws.send(protocol.text("hello", protocol=protocol.PROTOCOL_VERSION, **hello))
        welcome = protocol.parse_text(await asyncio.wait_for(ws.recv(), 30), "welcome", "error")
        if welcome["type"] == "error":
            raise Refused(str(welcome.get("code", "error")), str(welcome.get("message", "")))
        stats.connections += 1
        log(f"connected to {url} as {welcome.get('snapshot')} (snapshot {welcome.get('snapshot_id')}); "
            f"step deadline {welcome.get('step_deadline_s')} s, time bank {welcome.get('time_bank_s')} s per match")
        playing = asyncio.ensure_future(Session(ws, policy, stats, log).play())
        if stop is None:
            await playing
            return
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({playing, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not playing.done():
            log("stopping: closing the connection (unfinished games are forfeited)")
            await ws.close(1000, "the client stops")
            playing.cancel()
            return
        await playing


async def play(url: str, *, token: str, agent: str, version: str, policy: Any,
               log: Callable[[str], None] = _log, stop: asyncio.Event | None = None,
               max_connections: int | None = None, backoff_max: float = 30.0,
               stats: ClientStats | None = None) -> ClientStats:
    """Play through the gateway at `url` until `stop` is set, `max_connections` connections have ended,
    or the gateway refuses (`Refused`); reconnect with backoff after anything else."""
    stats = stats or ClientStats()
    hello = {"token": token, "agent": agent, "version": version, "client": "league.remote.client/1"}
    delay, tries = 1.0, 0
    while stop is None or not stop.is_set():
        tries += 1
        started = stats.connections
        try:
            await _one_connection(url, hello, policy, stats, log, stop)
            if stop is not None and stop.is_set():
                break
            log("the gateway closed the connection")
        except Refused:
            raise
        except ConnectionClosed as error:
            if error.rcvd is not None and error.rcvd.code == protocol.CLOSE_REPLACED:
                # replaced while a game was in play: the close came before the client read the error
                raise Refused("replaced", error.rcvd.reason or "replaced by a newer connection") from None
            log(f"connection closed ({error.rcvd.code if error.rcvd else 'no close frame'}"
                f"{': ' + error.rcvd.reason if error.rcvd and error.rcvd.reason else ''})")
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError, protocol.ProtocolError) as error:
            log(f"cannot play through {url} ({type(error).__name__}: {error})")
        if stats.connections > started:
            delay = 1.0  # it got in: start the backoff afresh
        if max_connections is not None and tries >= max_connections:
            break
        wait = delay * random.uniform(0.5, 1.0)
        log(f"reconnecting in {wait:.1f} s")
        if stop is not None:
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except TimeoutError:
                pass
        else:
            await asyncio.sleep(wait)
        delay = min(backoff_max, delay * 2)
    return stats


def connect(server: str | None = None, *, agent: str, version: str, policy: Any, token: str,
            gateway: str | None = None, log: Callable[[str], None] = _log, **options: Any) -> ClientStats:
    """Play `policy` as `agent`@`version` in the league at `server` (its HTTP address; the gateway's
    address is asked from it) or at the gateway `gateway`, until interrupted. See `play` for options."""
    if gateway is None:
        if server is None:
            raise ValueError("give the league's server address (or the gateway's)")
        gateway = gateway_address(server)
    log(f"playing {agent}@{version} through {gateway}")
    return asyncio.run(play(gateway, token=token, agent=agent, version=version, policy=policy, log=log, **options))
