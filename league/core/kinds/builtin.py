"""The built-in kinds: the game's weak and strong basic opponents, seeded into every league.

They carry no weights and are never registered; a worker builds them from the game itself.
"""

from __future__ import annotations

from typing import Any

from league.core.errors import InvalidInput
from league.core.kinds.base import MakePolicy, PolicyKind, ValidatedWeights
from league.core.schemas import SnapshotRef
from league.hockey.batch import Policy, basic_opponent_policy


def _refuse(data: bytes, config: dict[str, Any]) -> ValidatedWeights:
    raise InvalidInput("built-in opponents take no weights: they are seeded, not registered")


def _basic(weak: bool) -> MakePolicy:
    def make_policy(ref: SnapshotRef, data: bytes | None, *, seed: int | None = None) -> Policy:
        return basic_opponent_policy(weak=weak, seed=seed)

    return make_policy


BASIC_WEAK = PolicyKind(name="basic_weak", has_weights=False, registrable=False, validate=_refuse,
                        make_policy=_basic(weak=True))
BASIC_STRONG = PolicyKind(name="basic_strong", has_weights=False, registrable=False, validate=_refuse,
                          make_policy=_basic(weak=False))
KINDS = (BASIC_WEAK, BASIC_STRONG)
