"""Keeping many leases at once: one heartbeat thread for all of a worker's leases, and result posts in
batches that fit the server's body limit.

`LeaseKeeper` heartbeats one job's lease; `heartbeat_interval` says how often. A worker that plays
many matches in one lock step holds a lease per match: `LeasesKeeper` extends all
of them with batched heartbeats (`POST /api/jobs/heartbeats`, at most 64 a request) and notes each
lease the server says is gone; `result_batches` splits finished results into posts of at most 64 jobs
and about `max_bytes` of JSON (game records make a 4-game result about 150 KiB).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from league.core.schemas import MAX_JOBS_PER_BATCH, JobAssignment
from league.workers.client import Conflict, LeagueClient, LeagueClientError, NotFound, PermissionDenied

RESULT_BATCH_BYTES = 4 * 2**20  # half the server's default result limit (LEAGUE_RESULT_MAX_BYTES)


def chunks(items: list, size: int = MAX_JOBS_PER_BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def result_batches(results: list[dict[str, Any]], max_bytes: int = RESULT_BATCH_BYTES,
                   most: int = MAX_JOBS_PER_BATCH) -> list[list[dict[str, Any]]]:
    """`results` (each `{"job_id", "lease_id", "games"}`) in posts of at most `most` jobs and, where a
    post holds more than one, at most about `max_bytes` of JSON."""
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for result in results:
        length = len(json.dumps(result, separators=(",", ":")))
        if current and (size + length > max_bytes or len(current) >= most):
            batches.append(current)
            current, size = [], 0
        current.append(result)
        size += length
    if current:
        batches.append(current)
    return batches


class LeasesKeeper(threading.Thread):
    """Heartbeats every lease in `leases` (job id -> lease id) every `interval` seconds until stopped;
    `lost` maps each job whose lease the server refused to the reason."""

    def __init__(self, client: LeagueClient, leases: dict[int, str], interval: float):
        super().__init__(name=f"leases-{len(leases)}", daemon=True)
        self.client = client
        self.leases = dict(leases)
        self.interval = interval
        self.lost: dict[int, str] = {}
        self.beats = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.beat()

    def beat(self) -> None:
        """One round of heartbeats for every lease not lost yet (a server that is away is tried again later)."""
        held = [(job_id, lease) for job_id, lease in self.leases.items() if job_id not in self.lost]
        for part in chunks(held):
            try:
                answer = self.client.heartbeats(part)
            except LeagueClientError:
                continue  # the server is away (or refused the batch): keep trying, the result post will tell
            for outcome in answer.outcomes:
                if outcome.status != 200:
                    self.lost[outcome.job_id] = outcome.detail or f"status {outcome.status}"
        self.beats += 1

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=5)


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
