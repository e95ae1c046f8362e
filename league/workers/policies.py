"""Policies for a worker's games, built from the snapshot references a server hands out.

Each policy is built by its snapshot's kind (`league.core.kinds.build_policy`: basic opponents
from the game, Dreamer weights parsed from safetensors bytes, never unpickled). Weights come from
the worker's sha256 cache; policies built from weights are kept in memory by sha256, so a worker
that plays the same snapshot again does not parse it again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch

from league.core.kinds import build_policy
from league.core.schemas import JobAssignment, SnapshotRef
from league.workers.runner import play_job, play_jobs
from league.workers.weights_cache import WeightsCache


class PolicyLoader:
    """`load(ref)` -> a batched policy for a snapshot reference (`id`, `name`, `kind`, `sha256`, `config`);
    ValueError when the snapshot's policy cannot be built (unknown kind, weights that do not fit)."""

    def __init__(self, cache: WeightsCache, *, threads: int = 1, keep: int = 32):
        self.cache = cache
        self.threads = threads
        self.keep = keep
        self._policies: OrderedDict[str, Any] = OrderedDict()
        self._torch_ready = False

    def load(self, ref: SnapshotRef | dict) -> Any:
        ref = ref if isinstance(ref, SnapshotRef) else SnapshotRef.model_validate(ref)
        sha256 = ref.sha256
        if not sha256:  # a kind without weights (the basic opponents): built afresh, nothing to keep
            return build_policy(ref)
        if sha256 in self._policies:
            self._policies.move_to_end(sha256)
            return self._policies[sha256]
        self._limit_threads()
        policy = build_policy(ref, self.cache.get(ref.id, sha256))
        self._policies[sha256] = policy
        while len(self._policies) > self.keep:
            self._policies.popitem(last=False)
        return policy

    def _limit_threads(self) -> None:
        if not self._torch_ready:
            torch.set_num_threads(max(1, self.threads))
            self._torch_ready = True

    def play_job(self, job: dict, *, record: bool = True) -> dict:
        """Play a claimed job's games with the league's match runner; the JSON result to post."""
        result = play_job(JobAssignment.model_validate(job), self.load, record=record)
        return result.model_dump(mode="json")

    def play_jobs(self, jobs: list[dict], *, record: bool = True) -> dict[int, dict]:
        """Play several claimed jobs in one lock step (`league.workers.runner.play_jobs`); the JSON result
        to post for each, by job id."""
        results = play_jobs([JobAssignment.model_validate(job) for job in jobs], self.load, record=record)
        return {job_id: result.model_dump(mode="json") for job_id, result in results.items()}
