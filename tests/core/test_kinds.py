"""The policy-kind registry: each kind checks its uploads and builds its workers' policies.

A kind added to the registry alone (here a test-only one) is registered by the core and played by
a worker's loader with no other change.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from safetensors.numpy import save

from agents.checkpoint import expected_tensor_specs
from league.core import kinds
from league.core.errors import InvalidInput, InvalidWeights
from league.core.jobs import claim_job, report_result
from league.core.kinds import PolicyKind, ValidatedWeights, build_policy, get_kind, get_registrable_kind
from league.core.kinds.dreamer import validate as validate_dreamer
from league.core.leaderboard import leaderboard
from league.core.matchmaking import create_match
from league.core.registration import register_snapshot
from league.core.schemas import MatchResult, SnapshotRef
from league.core.settings import Settings
from league.core.snapshots import get_snapshot_by_name, get_weights, list_snapshots
from league.hockey.batch import play_games
from league.workers.policies import PolicyLoader
from league.workers.weights_cache import WeightsCache
from tests.support.league_helpers import TINY_CONFIG, tiny_weights


def ref(kind: str, config: dict | None = None, name: str = "x", sha256: str | None = None) -> SnapshotRef:
    return SnapshotRef(id=1, name=name, kind=kind, sha256=sha256, config=config or {})


def test_the_registry_knows_the_builtin_and_dreamer_kinds():
    assert {"basic_strong", "basic_weak", "dreamer"} <= set(kinds.KINDS)
    assert kinds.BUILTIN_KINDS == ("basic_weak", "basic_strong")
    registrable = kinds.registrable_kinds()
    assert "dreamer" in registrable and not set(kinds.BUILTIN_KINDS) & set(registrable)
    assert get_kind("dreamer").has_weights and not get_kind("basic_weak").has_weights
    known = ", ".join(sorted(kinds.KINDS))
    with pytest.raises(InvalidInput, match=f"^unknown kind 'wizard'; the known kinds are {known}$"):
        get_kind("wizard")
    with pytest.raises(InvalidInput, match=rf"^kind must be one of {', '.join(registrable)}, got 'basic_strong' \(built-in"):
        get_registrable_kind("basic_strong")
    with pytest.raises(InvalidInput, match=f"^kind must be one of {', '.join(registrable)}, got 'wizard'$"):
        get_registrable_kind("wizard")


def test_the_dreamer_kind_checks_bytes_against_the_config():
    weights = tiny_weights()
    checked = validate_dreamer(weights, TINY_CONFIG)
    assert checked.data == weights and len(checked.sha256) == 64
    with pytest.raises(InvalidWeights, match="do not match the declared config"):
        validate_dreamer(weights, {**TINY_CONFIG, "hidden": 2})
    with pytest.raises(InvalidWeights, match="invalid config: unknown config field"):
        validate_dreamer(weights, {"hiden": 3})
    with pytest.raises(InvalidWeights, match="pickle") as caught:
        validate_dreamer(b"\x80\x04K\x01.", TINY_CONFIG)
    assert caught.value.status_code == 415


def test_the_dreamer_kind_refuses_non_finite_weights():
    tensors = {name: np.zeros(shape, np.float32) for name, (_, shape) in expected_tensor_specs(TINY_CONFIG).items()}
    first = sorted(tensors)[0]
    tensors[first].flat[0] = np.nan
    with pytest.raises(InvalidWeights, match=f"tensor '{first}' holds 1 NaN"):
        validate_dreamer(save(tensors), TINY_CONFIG)


def test_built_in_kinds_build_basic_opponents_and_take_no_weights():
    weak = build_policy(ref("basic_weak"), seed=0)
    strong = build_policy(ref("basic_strong"), seed=0)
    assert weak.weak and not strong.weak
    with pytest.raises(InvalidInput, match="take no weights"):
        get_kind("basic_weak").validate(b"x", {})


def test_dreamer_policies_are_built_from_checked_bytes_only():
    policy = build_policy(ref("dreamer", TINY_CONFIG), tiny_weights())
    results = play_games(policy, build_policy(ref("basic_weak"), seed=1), seeds=[3, 4])
    assert [r.end_reason in ("goal", "time_limit") for r in results] == [True, True]
    with pytest.raises(ValueError, match="'broken': the weights do not match the declared config"):
        build_policy(ref("dreamer", {**TINY_CONFIG, "hidden": 2}, name="broken"), tiny_weights())
    with pytest.raises(ValueError, match="'x' needs its weights"):
        build_policy(ref("dreamer", TINY_CONFIG))
    with pytest.raises(ValueError, match="unknown kind 'wizard'"):
        build_policy(ref("wizard"))


class StandStill:
    """Sends the same action in every game: the bytes' four float32 values."""

    def __init__(self, action: np.ndarray):
        self.action = action

    def reset(self, n: int) -> None:
        pass

    def act(self, obs: np.ndarray) -> np.ndarray:
        return np.tile(self.action, (len(obs), 1))


def _validate_fixed(data: bytes, config: dict) -> ValidatedWeights:
    if len(data) != 16 or not np.isfinite(np.frombuffer(data, "<f4")).all():
        raise InvalidWeights("a fixed action is four finite float32 values")
    return ValidatedWeights(data=data, sha256=hashlib.sha256(data).hexdigest())


FIXED = PolicyKind(
    name="fixed_action", has_weights=True, registrable=True, validate=_validate_fixed,
    make_policy=lambda ref, data, *, seed=None: StandStill(np.frombuffer(data, "<f4").astype(np.float64)),
)


@pytest.fixture
def fixed_kind(monkeypatch):
    monkeypatch.setitem(kinds.KINDS, FIXED.name, FIXED)
    return FIXED


def test_a_kind_added_to_the_registry_is_registered_and_played_with_no_other_change(session, fixed_kind, tmp_path):
    before = list_snapshots(session).total
    with pytest.raises(InvalidWeights, match="four finite float32"):
        register_snapshot(session, agent="fixed", kind="fixed_action", config={}, step=1, weights=b"nope")
    assert list_snapshots(session).total == before  # refused bytes are never stored
    action = np.array([0.0, 0.0, 0.0, 0.0], "<f4").tobytes()
    registered = register_snapshot(session, agent="fixed", kind="fixed_action", config={}, step=1, weights=action)
    assert registered.created and registered.snapshot.kind == "fixed_action"
    assert list_snapshots(session, kind="fixed_action").total == 1

    basic = get_snapshot_by_name(session, "basic_weak")
    create_match(session, registered.snapshot.id, basic.id, n_games=2)
    job = claim_job(session, "w", settings=Settings(queue_target=0))
    fetched = []
    loader = PolicyLoader(WeightsCache(tmp_path, lambda i: fetched.append(i) or get_weights(session, i)))
    assert isinstance(loader.load(job.snapshot_a), StandStill)
    result = loader.play_job(job.model_dump(mode="json"))
    assert fetched == [registered.snapshot.id]
    assert [g["end_reason"] in ("goal", "time_limit") for g in result["games"]] == [True, True]
    report_result(session, job.job_id, "w", MatchResult.model_validate(result))
    row = next(r for r in leaderboard(session) if r.snapshot_id == registered.snapshot.id)
    assert row.games == 2 and row.forfeits == 0

