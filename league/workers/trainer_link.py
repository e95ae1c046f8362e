"""The training loop's connection to a league server (`league train --server URL --token T`).

`league train --server` checks the server and the token and makes a `TrainerLink`; the trainer is
then built with `link.trainer_options()`:

- `opponent_source`: a `ServerOpponentSource` in front of the trainer's self-play pool: opponents
  are drawn from `/api/opponents/sample` (PFSP on the learner's recorded results) once the learner
  has a snapshot on the server, Dreamer weights downloaded once into a sha256 cache; before that,
  and while the server is away, they come from the local pool, so training never waits for the server;
- `on_checkpoint`: every checkpoint the trainer writes is registered as a new opponent when
  `register_every` steps have passed since the last registration (identical weights are stored
  once by the server);
- `on_metrics`: the trainer's metrics lines are posted in batches to `/api/agents/{agent}/metrics`.

Network trouble is logged and retried later; it never raises into the training loop.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.opponents.source import OpponentSource
from league.core.schemas import Registered, SnapshotRef
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


class ServerOpponentSource:
    """An opponent source in front of the trainer's self-play pool, drawing from a league server while it answers.

    Once the learner has a snapshot on the server (`learner_id`), opponents come from
    `/api/opponents/sample`; before that, or while the server is away (for `retry_after` seconds
    after a failure), from the pool. Results against server opponents are the server's to rate;
    the pool keeps everything else: its snapshots, its results and the state saved with the run.
    """

    def __init__(self, pool: OpponentSource, client: LeagueClient, loader: PolicyLoader, *, n: int = 8,
                 strategy: str = "pfsp_hard", log: Callable[[str], None] = _log, retry_after: float = 30.0):
        self.pool, self.client, self.loader = pool, client, loader
        self.n, self.strategy, self.log, self.retry_after = n, strategy, log, retry_after
        self.learner_id: int | None = None
        self.served = {"server": 0, "local": 0}
        self._queue: list[SnapshotRef] = []
        self._server_names: set[str] = set()
        self._offline_until = 0.0

    def _refill(self) -> None:
        choices = self.client.sample_opponents(self.learner_id, n=self.n, strategy=self.strategy)
        self._queue = [choice.snapshot.ref() for choice in choices]

    def _from_server(self) -> tuple[str, Any] | None:
        if self.learner_id is None or time.monotonic() < self._offline_until:
            return None
        try:
            if not self._queue:
                self._refill()
            while self._queue:
                ref = self._queue.pop(0)
                if ref.id == self.learner_id:
                    continue
                policy = self.loader.load(ref)
                self._server_names.add(ref.name)
                return ref.name, policy
        except TRANSIENT as error:
            self._offline_until = time.monotonic() + self.retry_after
            self.log(f"opponents from the local pool for {self.retry_after:.0f} s: {error}")
        except (LeagueClientError, ValueError, KeyError) as error:
            self._offline_until = time.monotonic() + self.retry_after
            self.log(f"server opponent unusable ({error}); using the local pool")
        return None

    def sample(self) -> tuple[str, Any]:
        """(name, policy) of the next opponent: from the server's sample, else from the local pool."""
        chosen = self._from_server()
        if chosen is not None:
            self.served["server"] += 1
            return chosen
        self.served["local"] += 1
        return self.pool.sample()

    def record_result(self, name: str, winner: int) -> None:
        """Results against server opponents are the server's to rate; local ones update the local pool."""
        if name not in self._server_names:
            self.pool.record_result(name, winner)

    def add_snapshot(self, state: dict, step: int) -> str:
        return self.pool.add_snapshot(state, step)

    def add_style(self, name: str, params, step: int) -> str:
        return self.pool.add_style(name, params, step)

    def to_json(self) -> list[dict]:
        return self.pool.to_json()

    def snapshot_tensors(self) -> dict[str, dict]:
        return self.pool.snapshot_tensors()

    def load_json(self, records: list[dict], states: dict[str, dict]) -> None:
        self.pool.load_json(records, states)


class MetricsPoster:
    """Posts a run's metrics lines in batches to the server.

    `on_line(line)` (a trainer's `on_metrics`) keeps a line's numbers and posts what was kept once
    `flush_every` seconds have passed since the last post; `poll(force=True)` posts now. While the
    server is away, entries wait in a buffer of at most `max_buffer`.
    """

    def __init__(self, client: LeagueClient, agent: str, *, flush_every: float = 10.0, max_buffer: int = 10_000,
                 log: Callable[[str], None] = _log):
        self.client, self.agent = client, agent
        self.flush_every, self.max_buffer, self.log = flush_every, max_buffer, log
        self.buffer: list[dict] = []
        self.posted = 0
        self._last_flush = time.monotonic()
        self._warned = False

    def add(self, step: int, metrics: dict[str, Any]) -> None:
        """Keep the finite numbers of one line (not its step and time, nor flags)."""
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

    def on_line(self, line: dict[str, Any]) -> None:
        """A metrics line as the trainer wrote it (`{"step": ..., "time": ..., **metrics}`)."""
        self.add(int(line["step"]), line)
        self.poll()

    def poll(self, *, force: bool = False) -> None:
        if force or time.monotonic() - self._last_flush >= self.flush_every:
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
        self.registered: list[Registered] = []

    def trainer_options(self) -> dict[str, Any]:
        """The keywords of `agents.training.trainer.Trainer` (and its `resume`, `from_checkpoint`)
        that connect it: its opponent source and its checkpoint and metrics callbacks."""
        return {"opponent_source": self.opponent_source, "on_checkpoint": self.on_checkpoint,
                "on_metrics": self.metrics.on_line}

    def opponent_source(self, pool: OpponentSource) -> ServerOpponentSource:
        """The trainer's opponent source: the server in front of its self-play pool."""
        self.opponents = ServerOpponentSource(pool, self.client, self.loader, strategy=self.strategy, log=self.log)
        return self.opponents

    def on_checkpoint(self, path: str | Path, metadata: dict | None = None) -> Registered | None:
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
            self.opponents.learner_id = answer.id
        self.log(f"registered step {step} as opponent {answer.id}")
        return answer

    def close(self) -> None:
        self.metrics.poll(force=True)
        self.client.close()
