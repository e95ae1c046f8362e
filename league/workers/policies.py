"""Policies for a worker's games, built from the snapshot references a server hands out.

Policies come from the match runner's `load_snapshot_policy` (basic opponents built in, Dreamer
weights parsed from safetensors bytes, never unpickled); Dreamer weights come from the worker's
sha256 cache. Built Dreamer policies are kept in memory by sha256, so a worker that plays the same
snapshot again does not parse it again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from league.core.schemas import JobAssignment, SnapshotRef
from league.workers.weights_cache import WeightsCache


class PolicyLoader:
    """`load(ref)` -> a batched policy for a snapshot reference (`id`, `name`, `kind`, `sha256`, `config`)."""

    def __init__(self, cache: WeightsCache, *, threads: int = 1, keep: int = 8):
        self.cache = cache
        self.threads = threads
        self.keep = keep
        self._policies: OrderedDict[str, Any] = OrderedDict()
        self._torch_ready = False

    def load(self, ref: SnapshotRef | dict) -> Any:
        from league.workers.runner import load_snapshot_policy

        ref = ref if isinstance(ref, SnapshotRef) else SnapshotRef.model_validate(ref)
        if ref.kind != "dreamer":
            return load_snapshot_policy(ref)
        sha256 = ref.sha256 or ""
        if sha256 in self._policies:
            self._policies.move_to_end(sha256)
            return self._policies[sha256]
        self._limit_threads()
        policy = load_snapshot_policy(ref, self.cache.get(ref.id, sha256))
        self._policies[sha256] = policy
        while len(self._policies) > self.keep:
            self._policies.popitem(last=False)
        return policy

    def _limit_threads(self) -> None:
        if not self._torch_ready:
            import torch

            torch.set_num_threads(max(1, self.threads))
            self._torch_ready = True

    def play_job(self, job: dict, *, record: bool = True) -> dict:
        """Play a claimed job's games with the league's match runner; the JSON result to post."""
        from league.workers.runner import play_job

        result = play_job(JobAssignment.model_validate(job), self.load, record=record)
        return result.model_dump(mode="json")
