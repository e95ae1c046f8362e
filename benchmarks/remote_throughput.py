"""Remote games per second over a real WebSocket on loopback: lock-step batches against comprl's shape.

The gateway's own code plays (`league.gateway.connection.RemoteConnection` and
`league.gateway.play.play_table`: the remote side against the strong basic opponent), and the client
is `league.remote.client` with the basic opponent as its agent, in another process. Two shapes, in
the same run, each with and without an added simulated round trip (the gateway waits `--rtt-ms`
before each observation frame it sends):

- batched: one connection, `--games` games in lock step, one message per step for all of them;
- comprl's shape: one connection, one game at a time, one round trip per step.

It prints games/s per connection for each and the ratio. Target: >= 20x at a 20 ms round trip.
`--smoke` is a few seconds (8 games, a 5 ms round trip).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import time
from datetime import UTC, datetime, timedelta

from websockets.asyncio.server import serve

from league.core.schemas import JobAssignment, PlannedGame, SnapshotRef
from league.gateway.connection import RemoteConnection
from league.gateway.play import Side, play_table
from league.gateway.settings import GatewaySettings
from league.gateway.table import A, B, MatchTable
from league.hockey.batch import basic_opponent_policy
from league.remote import protocol
from league.remote.client import play
from league.remote.examples import BasicAgent


class DelayedSocket:
    """A server connection whose observation frames leave `delay` seconds late (a simulated round trip)."""

    def __init__(self, ws, delay: float):
        self.ws, self.delay = ws, delay

    async def send(self, message):
        if isinstance(message, bytes) and self.delay:
            await asyncio.sleep(self.delay)
        await self.ws.send(message)

    async def close(self, *args):
        await self.ws.close(*args)

    def __aiter__(self):
        return self.ws.__aiter__()


def _job(job_id: int, games: int, seed: int) -> JobAssignment:
    ref = SnapshotRef(id=1, name="remote", kind="remote", sha256=None, config={})
    basic = SnapshotRef(id=2, name="basic_strong", kind="basic_strong", sha256=None, config={})
    planned = [PlannedGame(index=i, seed=seed + i // 2, one_starting=i % 4 < 2, a_is_player_one=i % 2 == 0)
               for i in range(games)]
    return JobAssignment(job_id=job_id, lease_id="bench", attempt=1, worker="bench",
                         lease_expires_at=datetime.now(UTC) + timedelta(hours=1), snapshot_a=ref, snapshot_b=basic,
                         games=planned)


async def _gateway_side(ws, plan: list[int], delay: float, results: dict) -> None:
    """After the hello: play the matches in `plan` (games per match) one after the other."""
    protocol.parse_text(await ws.recv(), "hello")
    settings = GatewaySettings(step_deadline_s=30, time_bank_s=3600)
    connection = RemoteConnection(DelayedSocket(ws, delay), snapshot_id=1, name="remote", user="bench",  # type: ignore[arg-type]
                                  settings=settings, log=print)
    await connection.send_text("welcome", protocol=protocol.PROTOCOL_VERSION, snapshot="remote", snapshot_id=1)
    reader = asyncio.create_task(connection.run())
    started, games, steps = time.perf_counter(), 0, 0
    for job_id, n in enumerate(plan):
        table = MatchTable(_job(job_id, n, 1000 * job_id), record=False)
        sides = {A: Side("remote", connection=connection), B: Side("basic", policy=basic_opponent_policy(False, 0))}
        reports = await play_table(table, sides)
        assert not any(r.end_reason == "forfeit" for r in reports), reports
        games += len(reports)
        steps = connection.step
    results.update(seconds=time.perf_counter() - started, games=games, steps=steps)
    await ws.close()
    reader.cancel()


def _client(port: int) -> None:
    asyncio.run(play(f"ws://127.0.0.1:{port}", token="bench", agent="bench", version="v1", policy=BasicAgent(),
                     log=lambda line: None, max_connections=1))


async def measure(plan: list[int], delay: float) -> dict:
    results: dict = {}
    done = asyncio.Event()

    async def handler(ws):
        try:
            await _gateway_side(ws, plan, delay, results)
        finally:
            done.set()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=None):
        client = multiprocessing.get_context("spawn").Process(target=_client, args=(port,), daemon=True)
        client.start()
        await done.wait()
        client.join(10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=64, help="games in lock step for the batched shape")
    parser.add_argument("--single-games", type=int, default=4, help="games one after another for comprl's shape")
    parser.add_argument("--rtt-ms", type=float, default=20.0, help="the simulated round trip")
    parser.add_argument("--smoke", action="store_true", help="a few seconds: 8 games, 1 single, 5 ms")
    args = parser.parse_args()
    if args.smoke:
        args.games, args.single_games, args.rtt_ms = 8, 1, 5.0
    rows = {}
    for rtt in (0.0, args.rtt_ms / 1000):
        batched = asyncio.run(measure([args.games], rtt))
        single = asyncio.run(measure([1] * args.single_games, rtt))
        rows[rtt] = (batched, single)
        b_rate, s_rate = batched["games"] / batched["seconds"], single["games"] / single["seconds"]
        print(f"round trip +{rtt * 1000:.0f} ms: batched {batched['games']} games in lock step "
              f"{b_rate:.2f} games/s ({batched['steps']} messages, {batched['seconds'] / batched['steps'] * 1e6:.0f} "
              f"us per step); one game per connection {s_rate:.3f} games/s "
              f"({single['seconds'] / single['steps'] * 1e6:.0f} us per step); ratio {b_rate / s_rate:.1f}x",
              flush=True)


if __name__ == "__main__":
    main()
