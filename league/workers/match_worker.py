"""The match worker: claim match jobs from a league server, play them, report the results.

The loop: claim a job; download both snapshots' weights (cached by sha256); play the job's games
with the game's batched play while a background thread heartbeats the lease; post the result
(idempotent, retried until the server takes it); repeat. The server knows the worker by its token
(the token's name is the worker's name there): give every worker a token of its own.

- A server that goes away (restart, network trouble) is waited for, with backoff, forever once the
  worker has connected; at start-up it must answer within `--connect-timeout` seconds.
- A snapshot whose weights fail to load, or whose policy raises during a game, forfeits (the match
  runner records it); a failed *download* is not the snapshot's fault and never forfeits: the job is
  given up and released (back to the queue at once, the attempt not counted). A download the server
  answers with an error (5xx) is given up at once, and a result it answers 5xx to
  `MAX_RESULT_SERVER_ERRORS` times too: the server counts every claim and fails a job after
  `max_deliveries` of them, so one job the server cannot serve never stops the queue.
- SIGTERM/SIGINT: the first one lets the current job finish and be reported, then the worker exits;
  a second one abandons the job at once and releases it. A result the server rejects as invalid
  releases the job too; if a release does not get through, the lease simply expires.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from league.core.schemas import JobAssignment, SnapshotRef
from league.workers.client import (
    Conflict,
    LeagueClient,
    LeagueClientError,
    NotFound,
    PermissionDenied,
    RequestRejected,
    ServerError,
    ServerUnreachable,
)
from league.workers.policies import PolicyLoader
from league.workers.weights_cache import WeightsMismatch

TRANSIENT = (ServerUnreachable, ServerError)
# A result the server answers 5xx to this many times (each a call the client retried) is given up:
# the job is released, and the server fails it after `max_deliveries` claims, so no worker stalls on it.
MAX_RESULT_SERVER_ERRORS = 3


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


@dataclass
class WorkerStats:
    """What a worker has done so far."""

    jobs: int = 0
    games: int = 0
    lost_leases: int = 0
    abandoned: int = 0
    started: float = field(default_factory=time.monotonic)


class LeaseKeeper(threading.Thread):
    """Heartbeats one job's lease every `interval` seconds until stopped; notes when it is lost."""

    def __init__(self, client: LeagueClient, job_id: int, lease_id: str, interval: float):
        super().__init__(name=f"lease-{job_id}", daemon=True)
        self.client, self.job_id, self.lease_id = client, job_id, lease_id
        self.interval = interval
        self.lost: str | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                self.client.heartbeat(self.job_id, self.lease_id)
            except (Conflict, NotFound, PermissionDenied) as error:
                self.lost = str(error)
                return
            except LeagueClientError:
                continue  # the server is away: keep trying, the result post will tell

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def heartbeat_interval(job: JobAssignment, *, now: datetime | None = None) -> float:
    """A third of the lease's remaining time, between 0.2 and 60 seconds (a naive time is UTC)."""
    expires_at = job.lease_expires_at
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    remaining = (expires_at - (now or datetime.now(UTC))).total_seconds()
    return min(60.0, max(0.2, remaining / 3))


class MatchWorker:
    """Claims and plays jobs until stopped, `max_jobs` are done, or it has been idle `idle_exit` s."""

    def __init__(
        self,
        client: LeagueClient,
        name: str,
        loader: PolicyLoader,
        *,
        poll_interval: float = 2.0,
        max_jobs: int | None = None,
        idle_exit: float | None = None,
        record: bool = True,
        log: Callable[[str], None] = _log,
        on_games: Callable[[int], None] | None = None,
    ):
        self.client, self.name, self.loader = client, name, loader
        self.poll_interval = poll_interval
        self.max_jobs = max_jobs
        self.idle_exit = idle_exit
        self.record = record
        self.log = log
        self.on_games = on_games
        self.stats = WorkerStats()
        self.stop_requested = threading.Event()
        self._outage_since: float | None = None
        self._next_outage_log = 0.0

    # -- waiting out server outages -------------------------------------------------------------

    def _outage(self, error: Exception, attempt: int) -> None:
        now = time.monotonic()
        if self._outage_since is None:
            self._outage_since = now
        if now >= self._next_outage_log:
            self.log(f"server unavailable ({error}); retrying")
            self._next_outage_log = now + 30
        self.stop_requested.wait(min(10.0, 0.5 * 2 ** min(attempt, 5)))

    def _back(self) -> None:
        if self._outage_since is None:
            return
        try:
            self.client.check_compatible()  # it may have come back as another version
        except TRANSIENT:
            return  # away again right after answering: checked at the next answer
        self.log(f"server back after {time.monotonic() - self._outage_since:.0f} s")
        self._outage_since = None
        self._next_outage_log = 0.0

    # -- the loop -------------------------------------------------------------------------------

    def run(self) -> WorkerStats:
        idle_since = time.monotonic()
        attempt = 0
        while not self.stop_requested.is_set():
            if self.max_jobs is not None and self.stats.jobs >= self.max_jobs:
                break
            try:
                job = self.client.claim_job()
            except TRANSIENT as error:
                attempt += 1
                self._outage(error, attempt)
                continue
            attempt = 0
            self._back()
            if job is None:
                if self.idle_exit is not None and time.monotonic() - idle_since > self.idle_exit:
                    self.log(f"no job for {self.idle_exit:.0f} s; stopping")
                    break
                self.stop_requested.wait(self.poll_interval)
                continue
            self.play(job)
            idle_since = time.monotonic()
        return self.stats

    def release(self, job_id: int, lease_id: str) -> bool:
        """Give a job up at once (one try); False when the server could not be told."""
        try:
            self.client.release_job(job_id, lease_id)
        except LeagueClientError as error:
            self.log(f"job {job_id}: release failed ({error}); its lease will expire instead")
            return False
        self.log(f"job {job_id}: released back to the queue")
        return True

    def play(self, job: JobAssignment) -> None:
        """Play one claimed job and report it (or give it up and release it when that is impossible)."""
        try:
            self._play(job)
        except KeyboardInterrupt:  # a second stop signal: abandon the job now
            self.stats.abandoned += 1
            self.release(job.job_id, job.lease_id)
            raise

    def _play(self, job: JobAssignment) -> None:
        job_id, a, b = job.job_id, job.snapshot_a, job.snapshot_b
        started = time.monotonic()
        try:
            self._download_weights([a, b])
        except WeightsMismatch as error:
            self.log(f"job {job_id}: {error}; giving the job up")
            self.stats.abandoned += 1
            self.release(job_id, job.lease_id)
            return
        except (*TRANSIENT, NotFound) as error:
            self.log(f"job {job_id}: weights download failed ({error}); giving the job up")
            self.stats.abandoned += 1
            self.release(job_id, job.lease_id)
            return
        keeper = LeaseKeeper(self.client, job_id, job.lease_id, heartbeat_interval(job))
        keeper.start()
        try:
            result = self.loader.play_job(job, record=self.record)
        finally:
            keeper.stop()
        if keeper.lost:
            self.log(f"job {job_id}: lease lost while playing ({keeper.lost}); result dropped")
            self.stats.lost_leases += 1
            return
        if self._report(job_id, job.lease_id, result):
            games = result["games"]
            self.stats.jobs += 1
            self.stats.games += len(games)
            if self.on_games is not None:
                self.on_games(len(games))
            self.log(f"job {job_id} reported: {a.name} vs {b.name}: {_summary(games, job)} "
                     f"in {time.monotonic() - started:.1f} s")

    def _download_weights(self, refs: list[SnapshotRef]) -> None:
        """Fetch both snapshots' weights into the cache (a few tries while the server is away)."""
        for ref in refs:
            if not ref.sha256:  # a kind without weights (the basic opponents)
                continue
            attempt = 0
            while True:
                try:
                    self.loader.cache.get(ref.id, ref.sha256)
                    break
                except ServerError:
                    raise  # the server answered, with an error (retried by the client already): not an outage
                except ServerUnreachable as error:
                    attempt += 1
                    if self.stop_requested.is_set() or attempt >= 5:
                        raise
                    self._outage(error, attempt)

    def _report(self, job_id: int, lease_id: str, result: dict[str, Any]) -> bool:
        """Post the result until the server takes it; False when it is refused for good."""
        payload = {**result, "lease_id": lease_id}
        attempt = server_errors = 0
        while True:
            try:
                self.client.report_result(job_id, payload)
                self._back()
                return True
            except ServerError as error:  # answered 5xx (each call retried by the client already)
                server_errors += 1
                if server_errors >= MAX_RESULT_SERVER_ERRORS:
                    self.log(f"job {job_id}: the server keeps failing on this result ({error}); giving the job up")
                    self.stats.abandoned += 1
                    self.release(job_id, lease_id)
                    return False
                attempt += 1
                self._outage(error, attempt)
            except TRANSIENT as error:
                attempt += 1
                self._outage(error, attempt)
                if self.stop_requested.is_set() and attempt > 3:
                    self.log(f"job {job_id}: stopping with the result unreported")
                    self.stats.abandoned += 1
                    return False
            except (Conflict, NotFound, PermissionDenied) as error:
                self.log(f"job {job_id}: result refused ({error})")
                self.stats.lost_leases += 1
                return False
            except RequestRejected as error:  # a malformed result: give the job up, keep working
                self.log(f"job {job_id}: result rejected as invalid ({error}); giving the job up")
                self.stats.abandoned += 1
                self.release(job_id, lease_id)
                return False


def _summary(games: list[dict[str, Any]], job: JobAssignment) -> str:
    """'W-D-L 2-1-1' from snapshot a's side, plus forfeits."""
    a_is_player_one = {g.index: g.a_is_player_one for g in job.games}
    wins = draws = losses = forfeits = 0
    for game in games:
        a_one = a_is_player_one.get(game["index"], True)
        a_view = game["winner"] if a_one else -game["winner"]
        wins += a_view > 0
        draws += a_view == 0
        losses += a_view < 0
        forfeits += game.get("end_reason") == "forfeit"
    text = f"{len(games)} games, a's W-D-L {wins}-{draws}-{losses}"
    return text + (f", {forfeits} forfeited" if forfeits else "")
