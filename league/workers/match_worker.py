"""The match worker: claim match jobs from a league server, play them, report the results.

The loop: claim a job; download both snapshots' weights (cached by sha256); play the job's games
with the game's batched play while a background thread heartbeats the lease; post the result
(idempotent, retried until the server takes it); repeat. The server knows the worker by its token
(the token's name is the worker's name there): give every worker a token of its own.

With `matches=N` (N > 1; `league match-worker --matches`, default 32) the worker holds up to N
leases at once: it claims them in one request, plays all their games in one lock step (each
distinct snapshot's policy called once per step for all its games, `league.workers.batch_play`),
heartbeats all the leases from one thread and posts the results in batches; new jobs join between
rounds. Games of evenly matched agents mostly run to the time limit, so a round loses little to
its stragglers, and the server sees three requests a round instead of three a job.

- A server that goes away (restart, network trouble) is waited for, with backoff, forever once the
  worker has connected; at start-up it must answer within `--connect-timeout` seconds.
- A snapshot whose weights fail to load, or whose policy raises during a game, forfeits (the match
  runner records it); a failed *download* is not the snapshot's fault and never forfeits: the job is
  given up and released (back to the queue at once, the attempt not counted). A download the server
  answers with an error (5xx) is given up at once, and a result it answers 5xx to
  `MAX_RESULT_SERVER_ERRORS` times too: the server counts every claim and fails a job after
  `max_deliveries` of them, so one job the server cannot serve never stops the queue.
- SIGTERM/SIGINT: the first one lets the current job (or round of jobs) finish and be reported, then
  the worker exits; a second one abandons the job(s) at once and releases them. A result the server rejects as invalid
  releases the job too; if a release does not get through, the lease simply expires.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
from league.workers.leases import LeaseKeeper, LeasesKeeper, heartbeat_interval, result_batches
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
        log: Callable[[str], None] = _log,
        on_games: Callable[[int], None] | None = None,
        matches: int = 1,
    ):
        if matches < 1:
            raise ValueError(f"matches must be at least 1, got {matches}")
        self.client, self.name, self.loader = client, name, loader
        self.matches = matches
        self.poll_interval = poll_interval
        self.max_jobs = max_jobs
        self.idle_exit = idle_exit
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
        """Claim, play and report until stopped: one job at a time (`matches` 1) or rounds of many."""
        idle_since = time.monotonic()
        attempt = 0
        while not self.stop_requested.is_set():
            wanted = self.matches
            if self.max_jobs is not None:
                wanted = min(wanted, self.max_jobs - self.stats.jobs)
                if wanted <= 0:
                    break
            try:
                jobs = self._claim(wanted)
            except TRANSIENT as error:
                attempt += 1
                self._outage(error, attempt)
                continue
            attempt = 0
            self._back()
            if not jobs:
                if self.idle_exit is not None and time.monotonic() - idle_since > self.idle_exit:
                    self.log(f"no job for {self.idle_exit:.0f} s; stopping")
                    break
                self.stop_requested.wait(self.poll_interval)
                continue
            if self.matches > 1:
                self.play_round(jobs)
            else:
                self.play(jobs[0])
            idle_since = time.monotonic()
        return self.stats

    def _claim(self, wanted: int) -> list[JobAssignment]:
        if self.matches > 1:
            return self.client.claim_jobs(wanted)
        job = self.client.claim_job()
        return [] if job is None else [job]

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
            result = self.loader.play_job(job)  # with records: the server replays every game
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

    # -- many leases at once (matches > 1): claim a round, play it in one lock step, post in batches --

    def play_round(self, jobs: list[JobAssignment]) -> None:
        """Play claimed jobs together and report them; on a second stop signal release every unreported one."""
        pending = {job.job_id: job for job in jobs}
        try:
            self._play_round(pending)
        except KeyboardInterrupt:  # a second stop signal: abandon the round now
            for job in list(pending.values()):
                self.stats.abandoned += 1
                self.release(job.job_id, job.lease_id)
            raise

    def _play_round(self, pending: dict[int, JobAssignment]) -> None:
        started = time.monotonic()
        self._download_round(pending)
        if not pending:
            return
        jobs = list(pending.values())
        keeper = LeasesKeeper(self.client, {job.job_id: job.lease_id for job in jobs},
                              min(heartbeat_interval(job) for job in jobs))
        keeper.start()
        try:
            results = self.loader.play_jobs(jobs)
        finally:
            keeper.stop()
        for job_id, reason in keeper.lost.items():
            self.log(f"job {job_id}: lease lost while playing ({reason}); result dropped")
            self.stats.lost_leases += 1
            pending.pop(job_id, None)
        posts = [{**results[job_id], "job_id": job_id, "lease_id": job.lease_id} for job_id, job in pending.items()]
        for batch in result_batches(posts):
            self._report_batch(pending, batch)
        self.log(f"round of {len(jobs)} jobs played in {time.monotonic() - started:.1f} s")

    def _download_round(self, pending: dict[int, JobAssignment]) -> None:
        """Fetch every snapshot's weights once; a job whose download fails is given up and released."""
        failed: dict[str, str] = {}
        for job in list(pending.values()):
            for ref in (job.snapshot_a, job.snapshot_b):
                if ref.sha256 and ref.sha256 not in failed:
                    try:
                        self._download_weights([ref])
                    except (WeightsMismatch, *TRANSIENT, NotFound) as error:
                        failed[ref.sha256] = str(error)
            bad = [failed[r.sha256] for r in (job.snapshot_a, job.snapshot_b) if r.sha256 in failed]
            if bad:
                self.log(f"job {job.job_id}: weights download failed ({bad[0]}); giving the job up")
                self.stats.abandoned += 1
                self.release(job.job_id, job.lease_id)
                del pending[job.job_id]

    def _report_batch(self, pending: dict[int, JobAssignment], batch: list[dict[str, Any]]) -> None:
        """Post `batch` until the server answers it; each job's outcome decides its fate (exactly once)."""
        attempt = server_errors = 0
        while True:
            try:
                answer = self.client.report_results(batch)
                self._back()
                break
            except ServerError as error:
                server_errors += 1
                if server_errors >= MAX_RESULT_SERVER_ERRORS:
                    self.log(f"the server keeps failing on {len(batch)} results ({error}); giving them up")
                    self._give_up(pending, batch)
                    return
                attempt += 1
                self._outage(error, attempt)
            except TRANSIENT as error:
                attempt += 1
                self._outage(error, attempt)
                if self.stop_requested.is_set() and attempt > 3:
                    self.log(f"stopping with {len(batch)} results unreported")
                    self.stats.abandoned += len(batch)
                    for item in batch:
                        pending.pop(item["job_id"], None)
                    return
            except (RequestRejected, Conflict, NotFound, PermissionDenied) as error:
                self.log(f"{len(batch)} results rejected as a whole ({error}); giving them up")
                self._give_up(pending, batch)
                return
        for outcome, item in zip(answer.outcomes, batch, strict=True):
            job = pending.pop(item["job_id"])
            if outcome.status == 200:
                games = item["games"]
                self.stats.jobs += 1
                self.stats.games += len(games)
                if self.on_games is not None:
                    self.on_games(len(games))
                self.log(f"job {job.job_id} reported: {job.snapshot_a.name} vs {job.snapshot_b.name}: "
                         f"{_summary(games, job)}" + (" (already counted)" if outcome.duplicate else ""))
            elif outcome.status in (404, 409):
                self.log(f"job {job.job_id}: result refused ({outcome.detail})")
                self.stats.lost_leases += 1
            else:
                self.log(f"job {job.job_id}: result rejected as invalid ({outcome.detail}); giving the job up")
                self.stats.abandoned += 1
                self.release(job.job_id, job.lease_id)

    def _give_up(self, pending: dict[int, JobAssignment], batch: list[dict[str, Any]]) -> None:
        for item in batch:
            job = pending.pop(item["job_id"])
            self.stats.abandoned += 1
            self.release(job.job_id, job.lease_id)


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
