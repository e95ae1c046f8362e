"""The training loop's connection to a league server (`league train --server URL --token T`).

`league train --server` checks the server and the token and makes a `TrainerLink`;
`link.attach(trainer)` connects an `agents.training.trainer.Trainer`:

- its self-play pool becomes a `ServerOpponentSource`: opponents are drawn from
  `/api/opponents/sample` (PFSP on the learner's recorded results) once the learner has a snapshot
  on the server, Dreamer weights downloaded once into a sha256 cache; before that, and while the
  server is away, they come from the local pool, so training never waits for the server;
- every checkpoint it writes is registered as a new opponent when `register_every` steps have
  passed since the last registration (identical weights are stored once by the server);
- the lines of its `metrics.jsonl` are posted in batches to `/api/agents/{agent}/metrics`.

Network trouble is logged and retried later; it never raises into the training loop.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.opponents.self_play import SelfPlayManager
from league.workers.client import (
    LeagueClient,
    LeagueClientError,
    ServerError,
    ServerUnreachable,
)
from league.workers.policies import PolicyLoader
from league.workers.weights_cache import WeightsCache

TRANSIENT = (ServerUnreachable, ServerError)


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} league: {message}", flush=True)


class ServerOpponentSource(SelfPlayManager):
    """The trainer's self-play pool, drawing its opponents from a league server while it answers.

    It is the local pool (same entries, same saving and restoring with the run) with `sample()`
    replaced: once the learner has a snapshot on the server, opponents come from
    `/api/opponents/sample`; before that, or while the server is away, from the local pool.
    """

    @classmethod
    def around(cls, pool: SelfPlayManager, client: LeagueClient, loader: PolicyLoader, *, n: int = 8,
               strategy: str = "pfsp_hard", log: Callable[[str], None] = _log,
               retry_after: float = 30.0) -> ServerOpponentSource:
        """A server-backed pool sharing `pool`'s entries (the learner's snapshots and the basic opponents)."""
        source = cls(pool.make_policy, pool.rng, pool.pool_size, pool.basic_share)
        source.entries, source._policies = pool.entries, pool._policies
        source.client, source.loader, source.n, source.strategy = client, loader, n, strategy
        source.log, source.retry_after = log, retry_after
        source.learner_id = None
        source.on_sample = None
        source._queue, source._server_names = [], set()
        source._offline_until = 0.0
        source.served = {"server": 0, "local": 0}
        return source

    def _refill(self) -> None:
        choices = self.client.sample_opponents(self.learner_id, n=self.n, strategy=self.strategy)
        self._queue = [choice.get("snapshot", choice) for choice in choices]

    def _from_server(self) -> tuple[str, Any] | None:
        if self.learner_id is None or time.monotonic() < self._offline_until:
            return None
        try:
            if not self._queue:
                self._refill()
            while self._queue:
                ref = self._queue.pop(0)
                if ref.get("id") == self.learner_id:
                    continue
                policy = self.loader.load(ref)
                self._server_names.add(ref["name"])
                return ref["name"], policy
        except TRANSIENT as error:
            self._offline_until = time.monotonic() + self.retry_after
            self.log(f"opponents from the local pool for {self.retry_after:.0f} s: {error}")
        except (LeagueClientError, ValueError, KeyError) as error:
            self._offline_until = time.monotonic() + self.retry_after
            self.log(f"server opponent unusable ({error}); using the local pool")
        return None

    def sample(self) -> tuple[str, Any]:
        """(name, policy) of the next opponent: from the server's sample, else from the local pool."""
        if self.on_sample is not None:
            self.on_sample()
        chosen = self._from_server()
        if chosen is not None:
            self.served["server"] += 1
            return chosen
        self.served["local"] += 1
        return super().get_opponent()

    get_opponent = sample

    def record_result(self, name: str, winner: int) -> None:
        """Results against server opponents are the server's to rate; local ones update the local pool."""
        if name not in self._server_names:
            super().record_result(name, winner)


class MetricsPoster:
    """Posts a run's metrics (the lines of its `metrics.jsonl`) in batches to the server.

    `poll()` reads lines appended since the last call (at most every `flush_every` seconds) and posts
    them; while the server is away they wait in a buffer of at most `max_buffer` entries.
    """

    def __init__(self, client: LeagueClient, agent: str, path: Path | None = None, *, flush_every: float = 10.0,
                 max_buffer: int = 10_000, log: Callable[[str], None] = _log):
        self.client, self.agent, self.path = client, agent, path
        self.flush_every, self.max_buffer, self.log = flush_every, max_buffer, log
        self.buffer: list[dict] = []
        self.posted = 0
        self._offset = path.stat().st_size if path is not None and path.exists() else 0
        self._last_flush = time.monotonic()
        self._warned = False

    def add(self, step: int, metrics: dict[str, Any]) -> None:
        values = {}
        for name, value in metrics.items():
            if name in ("step", "time") or isinstance(value, bool):
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if math.isfinite(number):
                values[str(name)] = number
        if values:
            self.buffer.append({"step": int(step), "values": values})
            del self.buffer[: max(0, len(self.buffer) - self.max_buffer)]

    def _read_new_lines(self) -> None:
        if self.path is None or not self.path.exists():
            return
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next poll
        self._offset += len(complete)
        for line in complete.splitlines():
            try:
                entry = json.loads(line)
                self.add(int(entry["step"]), entry)
            except (ValueError, KeyError, TypeError):
                continue

    def poll(self, *, force: bool = False) -> None:
        if force or time.monotonic() - self._last_flush >= self.flush_every:
            self._read_new_lines()
            self.flush()

    def flush(self) -> bool:
        self._last_flush = time.monotonic()
        while self.buffer:
            batch = self.buffer[:500]
            try:
                self.client.post_metrics(self.agent, batch)
            except LeagueClientError as error:
                if not self._warned:
                    self.log(f"metrics not posted yet ({error}); will retry")
                    self._warned = True
                return False
            del self.buffer[: len(batch)]
            self.posted += len(batch)
            self._warned = False
        return True


class TrainerLink:
    """A training run's connection to a server: opponents, checkpoint registration and metrics."""

    def __init__(self, client: LeagueClient, agent: str, cache_dir: Path, *, register_every: int = 5000,
                 strategy: str = "pfsp_hard", log: Callable[[str], None] = _log):
        self.client, self.agent, self.log = client, agent, log
        self.register_every, self.strategy = register_every, strategy
        self.loader = PolicyLoader(WeightsCache(cache_dir, client.opponent_weights))
        self.metrics = MetricsPoster(client, agent, log=log)
        self.opponents: ServerOpponentSource | None = None
        self.last_registered_step: int | None = None
        self.registered: list[dict] = []

    def attach(self, trainer: Any) -> None:
        """Connect a `agents.training.trainer.Trainer`: its pool draws from the server, its checkpoints
        are registered, and the lines of its metrics.jsonl are posted."""
        self.opponents = ServerOpponentSource.around(trainer.opponents, self.client, self.loader,
                                                     strategy=self.strategy, log=self.log)
        self.opponents.on_sample = self.metrics.poll
        trainer.opponents = self.opponents
        previous = trainer.on_checkpoint

        def on_checkpoint(path: Path, metadata: dict | None = None) -> None:
            if previous is not None:
                previous(path, metadata)
            self.on_checkpoint(path, metadata)

        trainer.on_checkpoint = on_checkpoint
        self.metrics.path = Path(trainer.run_dir) / "metrics.jsonl"
        self.metrics._offset = self.metrics.path.stat().st_size if self.metrics.path.exists() else 0

    def on_checkpoint(self, path: str | Path, metadata: dict | None = None) -> dict | None:
        """Register the checkpoint at `path` (.safetensors beside .json) if `register_every` steps passed."""
        path = Path(path).with_suffix(".safetensors")
        meta = {**json.loads(path.with_suffix(".json").read_text()), **(metadata or {})}
        step = int(meta.get("step", 0))
        self.metrics.poll(force=True)
        if self.last_registered_step is not None and step - self.last_registered_step < self.register_every:
            return None
        body = {"agent": self.agent, "kind": "dreamer", "config": meta["config"], "step": step,
                "notes": f"checkpoint of training run {self.agent} at step {step}"}
        try:
            answer = self.client.register_opponent(body, path.read_bytes())
        except LeagueClientError as error:
            self.log(f"checkpoint at step {step} not registered ({error}); trying again at the next one")
            return None
        self.last_registered_step = step
        self.registered.append(answer)
        if self.opponents is not None:
            self.opponents.learner_id = answer.get("id")
        self.log(f"registered step {step} as opponent {answer.get('id')}")
        return answer

    def close(self) -> None:
        self.metrics.poll(force=True)
        self.client.close()
