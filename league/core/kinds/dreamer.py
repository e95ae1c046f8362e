"""The `dreamer` kind: a DreamerV3 agent's safetensors weights with the config they were trained with.

The config is checked first, before any network is built: every field within its bounds
(`agents.config.FIELD_BOUNDS`), then the parameters it builds (counted on torch's meta device, no
memory) at most `Settings.dreamer_max_parameters`. The upload must hold exactly the tensors that
config builds (`agents.checkpoint.expected_tensor_specs`), with finite values; a worker loads the
bytes with safetensors (never unpickled) into the agent.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

from agents.checkpoint import expected_tensor_specs, policy_from_bytes
from agents.config import DreamerConfig
from league.core.errors import InvalidWeights
from league.core.kinds.base import PolicyKind
from league.core.kinds.safetensors_check import SafetensorsWeights, TensorSpecs, validate_safetensors
from league.core.kinds.tensor_digest import safetensors_digest
from league.core.schemas import SnapshotRef
from league.core.settings import Settings
from league.hockey.batch import Policy


@lru_cache(maxsize=32)
def _specs(config_json: str, max_parameters: int) -> TensorSpecs:
    try:
        config = DreamerConfig.from_dict(json.loads(config_json))
    except ValueError as error:
        raise InvalidWeights(f"invalid config: {error}") from None
    specs = expected_tensor_specs(config)
    parameters = sum(math.prod(shape) for _, shape in specs.values())
    if parameters > max_parameters:
        raise InvalidWeights(f"invalid config: it builds {parameters:,} parameters, more than the league's "
                             f"limit of {max_parameters:,} (LEAGUE_DREAMER_MAX_PARAMETERS)")
    return specs


def config_specs(config: dict[str, Any], max_parameters: int | None = None) -> TensorSpecs:
    """The tensors `config` builds; `InvalidWeights` naming the field when the config is out of bounds
    or builds more than `max_parameters` (default: the settings') parameters."""
    if max_parameters is None:
        max_parameters = Settings().dreamer_max_parameters
    return _specs(json.dumps(config, sort_keys=True), max_parameters)


def validate(data: bytes, config: dict[str, Any]) -> SafetensorsWeights:
    """Check `data` as the weights `config` builds; `InvalidWeights` says what is wrong."""
    return validate_safetensors(data, lambda: config_specs(config))


def make_policy(ref: SnapshotRef, data: bytes | None, *, seed: int | None = None) -> Policy:
    """The agent of `ref.config` with the weights `data`, acting deterministically."""
    if data is None:
        raise ValueError(f"snapshot {ref.name!r} needs its weights")
    return policy_from_bytes(data, ref.config)


KIND = PolicyKind(name="dreamer", has_weights=True, registrable=True, validate=validate, make_policy=make_policy,
                  content_digest=safetensors_digest)
