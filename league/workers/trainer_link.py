"""The training loop's connection to a league server (`league train --server URL --token T`).

The Dreamer training loop takes an opponent source (`sample() -> (name, policy)`,
`add_snapshot(state, step)`, `record_result(name, winner)`), a checkpoint callback and a metrics
sink. `TrainerLink` supplies all three, backed by the server:

- `opponents`: a `ServerOpponentSource` that draws opponents from `/api/opponents/sample`
  (PFSP against the learner's own results), downloading Dreamer weights once into a sha256 cache.
  It wraps the local self-play pool: while the server is unreachable, or before the learner has a
  snapshot on the server, opponents come from the local pool, so training never stops for the server.
- `on_checkpoint(path, step)`: registers the checkpoint as a new opponent every `register_every`
  steps (identical weights are registered once by the server).
- `log_metrics(step, metrics)`: buffered and posted in batches to `/api/agents/{agent}/metrics`.

Network trouble is logged and retried later; it never raises into the training loop. Expected
failures at start-up (unreachable server, wrong token, other game version) raise `CommandError`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from league.cli import CommandError
from league.workers.client import (
    AuthenticationError,
    IncompatibleServer,
    LeagueClient,
    LeagueClientError,
    PermissionDenied,
    RetryPolicy,
    ServerError,
    ServerUnreachable,
)
from league.workers.policies import PolicyLoader
from league.workers.weights_cache import WeightsCache

TRANSIENT = (ServerUnreachable, ServerError)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """The `league train` options for a league server (all optional: without --server it trains alone)."""
    group = parser.add_argument_group("league server (optional)")
    group.add_argument("--server", default=os.environ.get("LEAGUE_SERVER_URL"),
                       help="league server URL: register checkpoints, sample opponents, post metrics "
                            "(env LEAGUE_SERVER_URL)")
    group.add_argument("--token", default=os.environ.get("LEAGUE_TOKEN"),
                       help="trainer bearer token (env LEAGUE_TOKEN); `league token create --role trainer`")
    group.add_argument("--register-every", type=int, default=5000,
                       help="register a checkpoint as a new opponent every N environment steps (default: 5000)")
    group.add_argument("--agent-name", default=None,
                       help="lineage name of this run's snapshots on the server (default: the run's name)")
    group.add_argument("--sample-strategy", default="pfsp_hard", choices=["pfsp_hard", "pfsp_even", "uniform"],
                       help="how the server picks opponents (default: pfsp_hard)")


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} league: {message}", flush=True)


class ServerOpponentSource:
    """Opponents from the server's pool, falling back to a local pool (same interface as it)."""

    def __init__(self, client: LeagueClient, loader: PolicyLoader, local: Any, *, n: int = 8,
                 strategy: str = "pfsp_hard", log: Callable[[str], None] = _log, retry_after: float = 30.0):
        self.client, self.loader, self.local = client, loader, local
        self.n, self.strategy, self.log = n, strategy, log
        self.learner_id: int | None = None
        self.retry_after = retry_after
        self._queue: list[dict] = []
        self._server_names: set[str] = set()
        self._offline_until = 0.0
        self.served = {"server": 0, "local": 0}

    def _refill(self) -> None:
        choices = self.client.sample_opponents(self.learner_id, n=self.n, strategy=self.strategy)
        self._queue = [choice.get("snapshot", choice) for choice in choices]

    def sample(self) -> tuple[str, Any]:
        """(name, policy) of the next opponent: from the server's sample, else from the local pool."""
        if self.learner_id is not None and time.monotonic() >= self._offline_until:
            try:
                if not self._queue:
                    self._refill()
                while self._queue:
                    ref = self._queue.pop(0)
                    if ref.get("id") == self.learner_id:
                        continue
                    policy = self.loader.load(ref)
                    self._server_names.add(ref["name"])
                    self.served["server"] += 1
                    return ref["name"], policy
            except TRANSIENT as error:
                self._offline_until = time.monotonic() + self.retry_after
                self.log(f"opponents from the local pool for {self.retry_after:.0f} s: {error}")
            except (LeagueClientError, ValueError) as error:
                self._offline_until = time.monotonic() + self.retry_after
                self.log(f"server opponent unusable ({error}); using the local pool")
        self.served["local"] += 1
        return self.local.sample()

    get_opponent = sample

    def add_snapshot(self, state: dict, step: int) -> str:
        """The learner's own snapshot joins the local pool (the server gets it via `on_checkpoint`)."""
        return self.local.add_snapshot(state, step)

    add_opponent = add_snapshot

    def record_result(self, name: str, winner: int) -> None:
        """Results against server opponents are the server's to rate; local ones update the local pool."""
        if name not in self._server_names and hasattr(self.local, "record_result"):
            self.local.record_result(name, winner)

    def __getattr__(self, name: str) -> Any:  # anything else the loop asks of its pool (e.g. to_json)
        return getattr(self.local, name)


class MetricsPoster:
    """Buffers metrics and posts them in batches; keeps at most `max_buffer` while the server is away."""

    def __init__(self, client: LeagueClient, agent: str, *, flush_every: float = 10.0, max_buffer: int = 10_000,
                 log: Callable[[str], None] = _log):
        self.client, self.agent = client, agent
        self.flush_every, self.max_buffer, self.log = flush_every, max_buffer, log
        self.buffer: list[dict] = []
        self.posted = 0
        self._last_flush = time.monotonic()
        self._warned = False

    def add(self, step: int, metrics: dict[str, Any]) -> None:
        values = {}
        for name, value in metrics.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if math.isfinite(number):
                values[str(name)] = number
        if values:
            self.buffer.append({"step": int(step), "values": values})
            del self.buffer[: max(0, len(self.buffer) - self.max_buffer)]
        if time.monotonic() - self._last_flush >= self.flush_every:
            self.flush()

    def flush(self) -> bool:
        self._last_flush = time.monotonic()
        if not self.buffer:
            return True
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
    """Opponent source, checkpoint callback and metrics sink of one training run, backed by a server."""

    def __init__(self, client: LeagueClient, agent: str, local_pool: Any, cache_dir: Path, *,
                 register_every: int = 5000, strategy: str = "pfsp_hard", log: Callable[[str], None] = _log):
        self.client, self.agent, self.log = client, agent, log
        self.register_every = register_every
        cache = WeightsCache(cache_dir, client.opponent_weights)
        self.opponents = ServerOpponentSource(client, PolicyLoader(cache), local_pool, strategy=strategy, log=log)
        self.metrics = MetricsPoster(client, agent, log=log)
        self.last_registered_step: int | None = None
        self.registered: list[dict] = []

    def on_checkpoint(self, path: str | Path, step: int | None = None, **_: Any) -> dict | None:
        """Register the checkpoint at `path` (.safetensors beside .json) if `register_every` steps passed."""
        path = Path(path).with_suffix(".safetensors")
        meta = json.loads(path.with_suffix(".json").read_text())
        step = int(step if step is not None else meta.get("step", 0))
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
        self.opponents.learner_id = answer.get("id")
        self.log(f"registered step {step} as opponent {answer.get('id')}")
        return answer

    def log_metrics(self, step: int, metrics: dict[str, Any]) -> None:
        self.metrics.add(step, metrics)

    def close(self) -> None:
        self.metrics.flush()
        self.client.close()


def connect(args: argparse.Namespace, *, run_name: str, local_pool: Any, run_dir: Path) -> TrainerLink | None:
    """A `TrainerLink` when `--server` was given (None otherwise), after checking the server.

    Raises `CommandError` with a clear message for a bad URL, a missing or refused token, an
    unreachable server or one that plays another game version.
    """
    if not getattr(args, "server", None):
        return None
    if not args.token:
        raise CommandError("--server needs a token: pass --token T or set LEAGUE_TOKEN "
                           "(make one with `league token create --role trainer`)")
    if args.register_every < 1:
        raise CommandError(f"--register-every must be at least 1, got {args.register_every}")
    try:
        client = LeagueClient(args.server, args.token, retry=RetryPolicy(attempts=3, max_delay=4.0))
    except ValueError as error:
        raise CommandError(str(error)) from None
    try:
        client.check_compatible()
    except (ServerUnreachable, ServerError) as error:
        raise CommandError(f"cannot reach the league server: {error}") from None
    except IncompatibleServer as error:
        raise CommandError(str(error)) from None
    agent = args.agent_name or run_name
    link = TrainerLink(client, agent, local_pool, run_dir / "opponent-cache",
                       register_every=args.register_every, strategy=args.sample_strategy)
    try:  # a cheap authenticated call, so a wrong token fails now rather than at the first checkpoint
        client.post_metrics(agent, [])
    except (AuthenticationError, PermissionDenied) as error:
        client.close()
        raise CommandError(f"the server refused this trainer: {error}") from None
    except LeagueClientError:
        pass  # the metrics endpoint may refuse an empty batch: the token was accepted before that
    return link
