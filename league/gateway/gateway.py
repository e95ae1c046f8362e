"""The agent gateway: accept remote agents' WebSocket connections and play their match jobs.

A connection has `hello_timeout_s` to say hello; its token is checked by the server
(`POST /api/remote/connect`, with that token), which also makes or finds the remote snapshot. A
second authenticated connection for the same snapshot replaces the first (a client back after a
half-open drop is never locked out). Limits: `max_connections` open sockets in all (before hello
included), `max_connections_per_user` authenticated ones per user, `max_frame_bytes` per message
(larger: the library closes that connection with 1009). A malformed message closes its connection
only.

Two loops run beside the connections: the claimer, which every `poll_s` (and at once when an agent
connects or a match ends) claims jobs for agents with room, and the presence loop, which tells the
server which agents are connected. Each job runs as a task: sides built, games played
(`league.gateway.play`), lease heartbeated, result posted (retried; the server de-duplicates it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from league.core.schemas import JobAssignment, SnapshotRef
from league.gateway.connection import CLOSE_PROTOCOL, RemoteConnection
from league.gateway.link import GatewayLink
from league.gateway.play import Side, as_result, play_table
from league.gateway.settings import GatewaySettings
from league.gateway.table import A, B, MatchTable
from league.remote import protocol
from league.workers.client import (
    AuthenticationError,
    Conflict,
    LeagueClientError,
    NotFound,
    PermissionDenied,
    RequestRejected,
    ServerError,
    ServerUnreachable,
)
from league.workers.leases import heartbeat_interval
from league.workers.policies import PolicyLoader

REMOTE = "remote"
CLOSE_CODES = {"unauthorized": 4001, "forbidden": 4003, "refused": 4004, "protocol": CLOSE_PROTOCOL}
CLOSE_TRY_AGAIN = 1013


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} gateway: {message}", flush=True)


class Gateway:
    """Serve remote agents on `settings.host:port`, playing their jobs from the server behind `link`."""

    def __init__(self, link: GatewayLink, loader: PolicyLoader, settings: GatewaySettings | None = None,
                 log: Callable[[str], None] = _log):
        self.link, self.loader = link, loader
        self.settings = settings or GatewaySettings()
        self.log = log
        self.connections: dict[int, RemoteConnection] = {}
        self.open = 0
        self.online_seconds = 15.0
        self.tasks: set[asyncio.Task] = set()
        self.matches_played = 0
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()

    # -- running --------------------------------------------------------------------------------

    async def run(self, ready: Callable[[Server], None] | None = None) -> None:
        """Serve until `stop()`; `ready(server)` is called once it listens."""
        info = await asyncio.to_thread(self.link.gateway_info)
        self.online_seconds = info.online_seconds
        async with serve(self.handle, self.settings.host, self.settings.port, compression=None,
                         max_size=self.settings.max_frame_bytes, open_timeout=self.settings.hello_timeout_s,
                         ping_interval=20, ping_timeout=20) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            self.log(f"listening on ws://{self.settings.host}:{port} (server {self.link.base_url})")
            if ready is not None:
                ready(server)
            loops = [asyncio.create_task(self._claim_loop()), asyncio.create_task(self._presence_loop())]
            await self._stop.wait()
            for task in loops:
                task.cancel()
            for connection in list(self.connections.values()):
                await connection.ws.close(1001, "the gateway is stopping")
            if self.tasks:
                await asyncio.wait(self.tasks, timeout=30)

    def stop(self) -> None:
        self._stop.set()

    # -- connections ----------------------------------------------------------------------------

    async def _refuse(self, ws: ServerConnection, code: str, message: str) -> None:
        try:
            await ws.send(protocol.text("error", code=code, message=message))
            await ws.close(CLOSE_CODES.get(code, CLOSE_TRY_AGAIN), message[:120])
        except ConnectionClosed:
            pass

    async def _hello(self, ws: ServerConnection) -> dict[str, Any] | None:
        try:
            raw = await asyncio.wait_for(ws.recv(), self.settings.hello_timeout_s)
            hello = protocol.parse_text(raw, "hello")
        except TimeoutError:
            await self._refuse(ws, "protocol", f"no hello within {self.settings.hello_timeout_s} s")
            return None
        except protocol.ProtocolError as error:
            await self._refuse(ws, "protocol", str(error))
            return None
        if hello.get("protocol") != protocol.PROTOCOL_VERSION:
            await self._refuse(ws, "protocol", f"this gateway speaks protocol {protocol.PROTOCOL_VERSION}, "
                               f"the hello says {hello.get('protocol')!r}")
            return None
        fields = {key: hello.get(key) for key in ("token", "agent", "version")}
        bad = [key for key, value in fields.items()
               if not isinstance(value, str) or not value or len(value) > 512 or not value.isascii()
               or not value.isprintable()]
        if bad:
            await self._refuse(ws, "protocol", f"the hello needs {', '.join(bad)} as printable ASCII text")
            return None
        return fields

    async def handle(self, ws: ServerConnection) -> None:
        """One agent's connection, from hello to close."""
        if self.open >= self.settings.max_connections:
            await self._refuse(ws, "busy", f"the gateway holds {self.open} connections, its limit; try later")
            return
        self.open += 1
        connection: RemoteConnection | None = None
        try:
            hello = await self._hello(ws)
            if hello is None:
                return
            try:
                connected = await asyncio.to_thread(self.link.connect_remote, hello["token"], hello["agent"],
                                                    hello["version"])
            except AuthenticationError:
                await self._refuse(ws, "unauthorized", "the league does not accept this token")
                return
            except PermissionDenied as error:
                await self._refuse(ws, "forbidden", str(error.detail or error))
                return
            except (Conflict, NotFound, RequestRejected) as error:
                await self._refuse(ws, "refused", str(error.detail or error))
                return
            except LeagueClientError as error:
                await self._refuse(ws, "unavailable", f"the league server cannot be reached ({error}); try later")
                return
            snapshot = connected.snapshot
            others = sum(1 for c in self.connections.values() if c.user == connected.user
                         and c.snapshot_id != snapshot.id)
            if others >= self.settings.max_connections_per_user:
                await self._refuse(ws, "refused", f"user {connected.user!r} has {others} agents connected, the "
                                   f"most this gateway takes per user")
                return
            old = self.connections.get(snapshot.id)
            if old is not None:
                self.log(f"{snapshot.name}: a new connection replaces the old one")
                await old.replace()
            connection = RemoteConnection(ws, snapshot_id=snapshot.id, name=snapshot.name, user=connected.user,
                                          settings=self.settings, log=self.log)
            self.connections[snapshot.id] = connection
            await connection.send_text(
                "welcome", protocol=protocol.PROTOCOL_VERSION, snapshot=snapshot.name, snapshot_id=snapshot.id,
                user=connected.user, created=connected.created, step_deadline_s=self.settings.step_deadline_s,
                time_bank_s=self.settings.time_bank_s, max_frame_bytes=self.settings.max_frame_bytes)
            self.log(f"{snapshot.name} connected (user {connected.user})")
            await self._presence(online=[snapshot.id])
            self._wake.set()
            await connection.run()
        finally:
            self.open -= 1
            if connection is not None and self.connections.get(connection.snapshot_id) is connection:
                del self.connections[connection.snapshot_id]
                self.log(f"{connection.name} disconnected ({connection.close_reason})")
                await self._presence(offline=[connection.snapshot_id])

    async def _presence(self, *, online: list[int] | None = None, offline: list[int] | None = None) -> None:
        try:
            await asyncio.to_thread(self.link.presence, online=online, offline=offline)
        except LeagueClientError as error:
            self.log(f"cannot tell the server who is online ({error})")

    async def _presence_loop(self) -> None:
        while True:
            await asyncio.sleep(max(0.5, self.online_seconds / 3))
            if self.connections:
                await self._presence(online=list(self.connections))

    # -- jobs -----------------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_s)
            except TimeoutError:
                pass
            self._wake.clear()
            connected = list(self.connections)
            for snapshot_id, connection in list(self.connections.items()):
                room = self.settings.matches_per_agent - len(connection.matches)
                if room <= 0 or connection.closed.is_set():
                    continue
                try:
                    jobs = await asyncio.to_thread(self.link.claim_remote, [snapshot_id], connected, room)
                except LeagueClientError as error:
                    self.log(f"claim failed ({error})")
                    break
                for job in jobs:
                    self._start(job)

    def _start(self, job: JobAssignment) -> None:
        for ref in (job.snapshot_a, job.snapshot_b):
            if ref.id in self.connections:
                self.connections[ref.id].matches.add(job.job_id)
        task = asyncio.create_task(self._play(job))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _side(self, ref: SnapshotRef) -> Side:
        if ref.kind == REMOTE:
            connection = self.connections.get(ref.id)
            if connection is None or connection.closed.is_set():
                return Side(ref.name, error=f"remote agent {ref.name!r} is not connected")
            return Side(ref.name, connection=connection)
        try:
            policy = await asyncio.to_thread(self.loader.load, ref)
        except (ServerUnreachable, ServerError, NotFound):
            raise
        except Exception as error:  # noqa: BLE001 (a snapshot that cannot be built forfeits, as in the runner)
            return Side(ref.name, error=f"snapshot {ref.name!r} could not be loaded: {type(error).__name__}: {error}")
        return Side(ref.name, policy=policy, threaded=bool(ref.sha256))

    async def _play(self, job: JobAssignment) -> None:
        started = time.monotonic()
        try:
            try:
                sides = {A: await self._side(job.snapshot_a), B: await self._side(job.snapshot_b)}
            except LeagueClientError as error:
                self.log(f"job {job.job_id}: weights download failed ({error}); releasing it")
                await asyncio.to_thread(self._release, job)
                return
            lost: list[str] = []
            keeper = asyncio.create_task(self._keep_lease(job, lost))
            table = MatchTable(job)  # every game's record: the server replays it
            try:
                reports = await play_table(table, sides, lost=lambda: bool(lost))
            finally:
                keeper.cancel()
                table.close()
            if lost:
                self.log(f"job {job.job_id}: lease lost ({lost[0]}); result dropped")
                return
            await asyncio.to_thread(self._report, job, as_result(job, reports))
            forfeits = sum(r.end_reason == "forfeit" for r in reports)
            self.matches_played += 1
            self.log(f"job {job.job_id}: {job.snapshot_a.name} vs {job.snapshot_b.name} reported in "
                     f"{time.monotonic() - started:.1f} s" + (f" ({forfeits} forfeited)" if forfeits else ""))
        except Exception as error:  # noqa: BLE001 (one job's trouble never stops the gateway)
            self.log(f"job {job.job_id}: {type(error).__name__}: {error}")
        finally:
            for ref in (job.snapshot_a, job.snapshot_b):
                connection = self.connections.get(ref.id)
                if connection is not None:
                    connection.matches.discard(job.job_id)
            self._wake.set()

    async def _keep_lease(self, job: JobAssignment, lost: list[str]) -> None:
        interval = heartbeat_interval(job)
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.link.heartbeat, job.job_id, job.lease_id)
            except (Conflict, NotFound, PermissionDenied) as error:
                lost.append(str(error))
                return
            except LeagueClientError:
                continue

    def _release(self, job: JobAssignment) -> None:
        try:
            self.link.release_job(job.job_id, job.lease_id)
        except LeagueClientError as error:
            self.log(f"job {job.job_id}: release failed ({error}); its lease will expire")

    def _report(self, job: JobAssignment, result: dict[str, Any]) -> None:
        for attempt in range(20):
            try:
                self.link.report_result(job.job_id, result)
                return
            except (ServerUnreachable, ServerError) as error:
                self.log(f"job {job.job_id}: result not taken yet ({error}); retrying")
                time.sleep(min(10.0, 0.5 * 2 ** attempt))
            except LeagueClientError as error:
                self.log(f"job {job.job_id}: result refused ({error})")
                return
