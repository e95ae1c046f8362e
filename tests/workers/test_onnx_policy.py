"""ONNX policies in play: the same actions as the torch networks they came from, state kept per game,
slow or NaN models forfeit, and the model's process is fenced off from the worker's files."""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
import pytest
import torch

from league.core.kinds import build_policy
from league.core.kinds.onnx.check import check_onnx
from league.core.kinds.onnx.limits import OnnxLimits
from league.core.kinds.onnx.policy import OnnxPolicy, PolicyTimeout
from league.core.kinds.onnx.sandbox import ModelFailed, OnnxProcess
from league.core.schemas import GameReport, JobAssignment, SnapshotRef
from league.hockey.batch import PolicyError, basic_opponent_policy, play_games
from league.workers.runner import play_job
from tests.support import onnx_models as models

SEEDS = list(range(16, 20))  # games of different lengths: rows drop out of the batch one by one


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """The torch references on one thread, as the policies run (and as a worker runs them)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _policy(data: bytes, **limits) -> OnnxPolicy:
    return OnnxPolicy(data, check_onnx(data).state_size, OnnxLimits(**limits))


@pytest.mark.parametrize("network", ["mlp", "gru", "lstm"])
def test_an_exported_network_plays_as_it_does_in_torch(network):
    module, width = {"mlp": (models.MlpActor(), 0), "gru": (models.GruActor(), 32),
                     "lstm": (models.LstmActor(), 32)}[network]
    reference = models.RecordingPolicy(models.TorchPolicy(module, width))
    played = play_games(reference, basic_opponent_policy(weak=False, seed=1), SEEDS)
    assert len({game.length for game in played}) > 1
    policy = _policy(models.export(module, width))
    try:
        worst, steps = models.replay_difference(reference.calls, policy)
        again = play_games(policy, basic_opponent_policy(weak=False, seed=1), SEEDS)
    finally:
        policy.close()
    assert steps == max(game.length for game in played)
    assert worst < 1e-5
    assert [(g.winner, g.length) for g in again] == [(g.winner, g.length) for g in played]


def test_the_state_is_kept_per_game_and_dropped_with_its_game():
    policy = _policy(models.gru_bytes())
    try:
        policy.reset(3)
        obs = np.random.default_rng(0).normal(size=(3, 18)).astype(np.float32)
        policy.act(obs)
        second = policy.state.copy()
        assert second.shape == (3, 32) and np.abs(second).min() > 0
        policy.drop([1])
        assert np.array_equal(policy.state, second[[0, 2]])
        policy.act(obs[[0, 2]])
        policy.reset(2)
        assert not policy.state.any()  # a new game starts from zeros
    finally:
        policy.close()


def test_nan_actions_are_a_policy_error():
    policy = _policy(models.nan_bytes())
    try:
        with pytest.raises(PolicyError, match="NaN"):
            play_games(policy, basic_opponent_policy(weak=True), [0, 1])
    finally:
        policy.close()


def test_a_step_over_the_limit_stops_the_model_and_the_next_batch_starts_afresh():
    policy = _policy(models.slow_bytes(width=1000, layers=3), step_limit_ms=0.01)
    try:
        policy.reset(64)
        with pytest.raises(PolicyTimeout, match="one step took more than 0.01 ms"):
            policy.act(np.zeros((64, 18), np.float32))
        assert policy._process is None  # killed
        policy.limits = OnnxLimits()
        policy.reset(2)
        assert policy.act(np.zeros((2, 18), np.float32)).shape == (2, 4)
    finally:
        policy.close()


def test_a_slow_model_forfeits_its_games_and_the_runner_goes_on():
    slow = _policy(models.slow_bytes(), step_budget_ms=0.01, step_grace_ms=0)
    refs = {1: SnapshotRef(id=1, name="slow@0", kind="onnx", sha256="a" * 64, config={}),
            2: SnapshotRef(id=2, name="basic_weak", kind="basic_weak", sha256=None, config={})}
    job = JobAssignment(job_id=1, lease_id="l", attempt=1, worker="w", lease_expires_at="2030-01-01T00:00:00Z",
                        snapshot_a=refs[1], snapshot_b=refs[2],
                        games=[{"index": i, "seed": i, "one_starting": i % 2 == 0, "a_is_player_one": i < 2}
                               for i in range(4)])
    try:
        result = play_job(job, lambda ref: slow if ref.id == 1 else build_policy(ref), record=False)
    finally:
        slow.close()
    assert [game.end_reason for game in result.games] == ["forfeit"] * 4
    assert all(isinstance(game, GameReport) and "over the budget of 0.01 ms a step" in game.error
               for game in result.games)
    assert [game.forfeit_side for game in result.games] == [1, 1, 2, 2]  # the slow snapshot's side each time


def test_the_kind_builds_a_policy_from_its_bytes():
    data = models.lstm_bytes()
    policy = build_policy(SnapshotRef(id=3, name="lstm@0", kind="onnx", sha256="b" * 64, config={}), data)
    try:
        assert isinstance(policy, OnnxPolicy) and policy.state_size == 32
        results = play_games(policy, basic_opponent_policy(weak=True), [3, 4])
        assert len(results) == 2
    finally:
        policy.close()


def test_the_model_process_cannot_read_the_workers_files(tmp_path, monkeypatch):
    secret = b"SECRETSECRETSECR"
    (tmp_path / "secret.bin").write_bytes(secret)
    monkeypatch.chdir(tmp_path)
    data = models.external_initializer_bytes("secret.bin")  # refused by the checks; here they are bypassed
    obs = np.zeros((1, 18), np.float32)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    in_process = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    assert in_process.run(None, {"obs": obs})[0].tobytes() == secret  # the danger is real
    with pytest.raises(ModelFailed, match="cannot load the model"):
        OnnxProcess(data, 0, memory_mb=1024, load_seconds=30)  # its empty working directory holds nothing
    assert os.listdir(tmp_path) == ["secret.bin"]
