"""Policy kinds: what a snapshot's `kind` means, in one registry.

A kind (`PolicyKind`) says whether its snapshots carry uploaded bytes, whether trainers may
register them, how the bytes and the declared config are checked before the league stores them
(`validate`), and how a worker turns a snapshot into a batched policy (`make_policy`, the
`league.hockey.batch.Policy` protocol). `register_snapshot` checks every upload through
`get_registrable_kind(...).validate`; workers build every policy with `build_policy`.

A new kind is one module that defines its `PolicyKind`, plus its entry in `KINDS` below.
"""

from __future__ import annotations

from league.core.errors import InvalidInput
from league.core.kinds import builtin, dreamer, onnx, remote
from league.core.kinds.base import MakePolicy, PolicyKind, ValidatedWeights
from league.core.schemas import SnapshotRef
from league.hockey.batch import Policy

KINDS: dict[str, PolicyKind] = {kind.name: kind for kind in (*builtin.KINDS, dreamer.KIND, onnx.KIND, remote.KIND)}
BUILTIN_KINDS: tuple[str, ...] = tuple(kind.name for kind in builtin.KINDS)


def get_kind(name: str) -> PolicyKind:
    """The kind called `name`; `InvalidInput` naming the known kinds if there is none."""
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise InvalidInput(f"unknown kind {name!r}; the known kinds are {', '.join(sorted(KINDS))}")
    return kind


def registrable_kinds() -> list[str]:
    """The kinds trainers may register, sorted."""
    return sorted(name for name, kind in KINDS.items() if kind.registrable)


def get_registrable_kind(name: str) -> PolicyKind:
    """The kind called `name` if snapshots of it may be registered, else `InvalidInput` saying which may."""
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None or not kind.registrable:
        hint = " (built-in opponents are seeded, not registered)" if name in BUILTIN_KINDS else ""
        raise InvalidInput(f"kind must be one of {', '.join(registrable_kinds())}, got {name!r}{hint}")
    return kind


def build_policy(ref: SnapshotRef, data: bytes | None = None, *, seed: int | None = None) -> Policy:
    """A batched policy for the snapshot `ref`, built by its kind from `data` (its weights, which are
    checked against `ref.config` first; None for kinds without weights).

    Raises ValueError when it cannot be built: an unknown kind, missing weights, or weights that
    fail their kind's checks (the message says which snapshot and what is wrong)."""
    try:
        kind = get_kind(ref.kind)
        if kind.has_weights:
            if data is None:
                raise ValueError(f"snapshot {ref.name!r} needs its weights")
            kind.validate(data, ref.config)
    except InvalidInput as error:
        raise ValueError(f"snapshot {ref.name!r}: {error}") from error
    return kind.make_policy(ref, data, seed=seed)


__all__ = ["BUILTIN_KINDS", "KINDS", "MakePolicy", "PolicyKind", "ValidatedWeights", "build_policy", "get_kind",
           "get_registrable_kind", "registrable_kinds"]
