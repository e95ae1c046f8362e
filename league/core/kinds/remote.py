"""The `remote` kind: an agent that plays from its owner's machine, through the agent gateway.

A remote snapshot carries no weights and is never uploaded: it is made when its owner's program
connects (`league connect`, `league.core.remote.connect_remote`). No worker can build its policy;
only the gateway plays it, by asking the connected program for actions (docs/remote-protocol.md).
"""

from __future__ import annotations

from typing import Any

from league.core.errors import InvalidInput
from league.core.kinds.base import PolicyKind, ValidatedWeights
from league.core.schemas import SnapshotRef
from league.hockey.batch import Policy

NAME = "remote"


def _refuse(data: bytes, config: dict[str, Any]) -> ValidatedWeights:
    raise InvalidInput("remote agents take no weights: connect one with `league connect` instead")


def _no_policy(ref: SnapshotRef, data: bytes | None, *, seed: int | None = None) -> Policy:
    raise ValueError(f"snapshot {ref.name!r} is a remote agent: only the agent gateway plays it")


KIND = PolicyKind(name=NAME, has_weights=False, registrable=False, validate=_refuse, make_policy=_no_policy)
