"""What a policy kind is (`PolicyKind`) and what its check of uploaded bytes returns (`ValidatedWeights`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from league.core.schemas import SnapshotRef
from league.hockey.batch import Policy


@dataclass(frozen=True)
class ValidatedWeights:
    """Uploaded bytes that passed their kind's checks against the declared config, with their sha256."""

    data: bytes
    sha256: str


class MakePolicy(Protocol):
    """Build a batched policy for a snapshot from its bytes (already validated; None for kinds
    without weights); `seed` seeds whatever randomness the policy has."""

    def __call__(self, ref: SnapshotRef, data: bytes | None, *, seed: int | None = None) -> Policy: ...


@dataclass(frozen=True)
class PolicyKind:
    """One kind of snapshot: how its uploads are checked and how a worker plays it."""

    name: str
    """The `kind` stored with each snapshot of this kind, e.g. "dreamer"."""
    has_weights: bool
    """Snapshots of this kind carry uploaded bytes (stored by sha256, fetched and cached by workers)."""
    registrable: bool
    """Trainers may register snapshots of this kind (False for the built-ins, which are seeded)."""
    validate: Callable[[bytes, dict[str, Any]], ValidatedWeights]
    """Check uploaded bytes against the declared config: `ValidatedWeights`, or `InvalidWeights` /
    `InvalidInput` saying what is wrong."""
    make_policy: MakePolicy
    """How a worker turns a snapshot into a `league.hockey.batch.Policy`."""
    content_digest: Callable[[bytes], str] | None = None
    """A digest of checked bytes that ignores what does not change how the policy plays (file
    metadata, tensor order: `league.core.kinds.tensor_digest`); registrations with equal digests are
    one snapshot. None: only identical bytes are."""
