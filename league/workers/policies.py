"""Policies for a worker's games, built from the snapshot references a server hands out.

Basic opponents are built in; Dreamer snapshots are parsed from their (cached) safetensors bytes
with `agents.checkpoint.policy_from_bytes`, never with torch.load. Built policies are kept in memory
by sha256, so a worker that plays the same snapshot again does not parse it again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from league.workers.weights_cache import WeightsCache

BASIC_KINDS = {"basic_weak": True, "basic_strong": False}  # kind -> weak


class PolicyLoader:
    """`load(ref)` -> a batched policy for a snapshot reference (`id`, `kind`, `sha256`, `config`)."""

    def __init__(self, cache: WeightsCache, *, threads: int = 1, keep: int = 8):
        self.cache = cache
        self.threads = threads
        self.keep = keep
        self._policies: OrderedDict[str, Any] = OrderedDict()
        self._torch_ready = False

    def load(self, ref: dict) -> Any:
        kind = ref.get("kind")
        if kind in BASIC_KINDS:
            from league.hockey.batch import basic_opponent_policy

            return basic_opponent_policy(weak=BASIC_KINDS[kind])
        if kind != "dreamer":
            raise ValueError(f"snapshot {ref.get('id')}: unknown kind {kind!r}")
        sha256 = ref.get("sha256") or ""
        if sha256 in self._policies:
            self._policies.move_to_end(sha256)
            return self._policies[sha256]
        self._limit_threads()
        from agents.checkpoint import policy_from_bytes

        policy = policy_from_bytes(self.cache.get(ref["id"], sha256), ref.get("config") or {})
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
        from league.runner import play_job

        result = play_job(job, self.load, record=record)
        return result.model_dump(mode="json") if hasattr(result, "model_dump") else dict(result)
