"""The `dreamer` kind: a DreamerV3 agent's safetensors weights with the config they were trained with.

The upload must hold exactly the tensors that config builds (`agents.checkpoint.expected_tensor_specs`),
with finite values; a worker loads the bytes with safetensors (never unpickled) into the agent.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from agents.checkpoint import expected_tensor_specs, policy_from_bytes
from league.core.kinds.base import PolicyKind
from league.core.kinds.safetensors_check import SafetensorsWeights, TensorSpecs, validate_safetensors
from league.core.schemas import SnapshotRef
from league.hockey.batch import Policy


@lru_cache(maxsize=32)
def _specs(config_json: str) -> TensorSpecs:
    return expected_tensor_specs(json.loads(config_json))


def validate(data: bytes, config: dict[str, Any]) -> SafetensorsWeights:
    """Check `data` as the weights `config` builds; `InvalidWeights` says what is wrong."""
    return validate_safetensors(data, lambda: _specs(json.dumps(config, sort_keys=True)))


def make_policy(ref: SnapshotRef, data: bytes | None, *, seed: int | None = None) -> Policy:
    """The agent of `ref.config` with the weights `data`, acting deterministically."""
    if data is None:
        raise ValueError(f"snapshot {ref.name!r} needs its weights")
    return policy_from_bytes(data, ref.config)


KIND = PolicyKind(name="dreamer", has_weights=True, registrable=True, validate=validate, make_policy=make_policy)
