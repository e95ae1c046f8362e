"""The `onnx` kind: any agent, from any framework, as an ONNX file that maps observations to actions.

The file is the whole snapshot (its config is empty): input `obs` float32 [B, 18] (the player's
own view), output `action` float32 [B, 4], B symbolic; optionally a recurrent state, input
`state` float32 [B, H] and output `state_out` float32 [B, H], zeros at each game's start. An
upload is checked from its bytes (`check`), then run once in a limited process and timed
(`sandbox.trial_run`); a worker plays it in such a process too (`policy.OnnxPolicy`).
The bounds are `OnnxLimits` (environment variables `LEAGUE_ONNX_*`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from league.core.errors import InvalidInput
from league.core.kinds.base import PolicyKind, ValidatedWeights
from league.core.kinds.onnx.check import check_onnx
from league.core.kinds.onnx.digest import onnx_digest
from league.core.kinds.onnx.limits import OnnxLimits
from league.core.kinds.onnx.policy import OnnxPolicy
from league.core.kinds.onnx.sandbox import trial_run
from league.core.schemas import SnapshotRef


def validate(data: bytes, config: dict[str, Any]) -> ValidatedWeights:
    """Check an ONNX upload (no config: the file describes itself); `InvalidWeights` says what is wrong."""
    if config:
        raise InvalidInput(f"an ONNX snapshot takes no config (the file describes itself), got keys {sorted(config)}")
    limits = OnnxLimits()
    signature = check_onnx(data, limits)
    trial_run(data, signature, limits)
    return ValidatedWeights(data=bytes(data), sha256=hashlib.sha256(data).hexdigest())


def make_policy(ref: SnapshotRef, data: bytes | None, *, seed: int | None = None) -> OnnxPolicy:
    """The model of `ref` as a batched policy, in its own process."""
    if data is None:
        raise ValueError(f"snapshot {ref.name!r} needs its ONNX file")
    limits = OnnxLimits()
    return OnnxPolicy(data, check_onnx(data, limits).state_size, limits, name=ref.name)


KIND = PolicyKind(name="onnx", has_weights=True, registrable=True, validate=validate, make_policy=make_policy,
                  content_digest=onnx_digest)
