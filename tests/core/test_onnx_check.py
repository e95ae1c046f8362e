"""The `onnx` kind's checks: real exports pass, every hostile file is refused with its reason.

The checks read the bytes only; the trial run loads the model in a limited child process.
"""

from __future__ import annotations

import pytest

from agents.config import make_config
from agents.export_onnx import export_agent
from agents.hockey_dreamer import HockeyDreamer
from league.core.errors import InvalidInput, InvalidWeights
from league.core.kinds import get_registrable_kind
from league.core.kinds.onnx.check import check_onnx
from league.core.kinds.onnx.limits import OnnxLimits
from league.core.kinds.onnx.sandbox import trial_run
from tests.support import onnx_models as models


@pytest.fixture(scope="module")
def exports() -> dict[str, bytes]:
    agent = HockeyDreamer(make_config("debug"))
    return {"mlp": models.mlp_bytes(), "gru": models.gru_bytes(), "lstm": models.lstm_bytes(),
            "mlp13": models.export(models.MlpActor(), opset=13), "dreamer": export_agent(agent)}


def test_real_exports_pass_with_their_state_width(exports):
    debug = make_config("debug")
    widths = {"mlp": 0, "mlp13": 0, "gru": 32, "lstm": 32, "dreamer": debug.recurrent + debug.latent + 4}
    for name, data in exports.items():
        signature = check_onnx(data)
        assert signature.state_size == widths[name], name
        assert 0 < signature.parameters < 4_000_000 and 0 < signature.nodes <= 2000
    assert check_onnx(exports["mlp13"]).opset == 13


def test_the_trial_run_times_batches_of_1_and_64(exports):
    data = exports["gru"]
    trial = trial_run(data, check_onnx(data))
    assert set(trial.step_ms) == {1, 64}
    assert all(0 < ms < 50 for ms in trial.step_ms.values())


def test_a_model_slower_than_the_trial_budget_is_refused(exports):
    data = exports["mlp"]
    with pytest.raises(InvalidWeights, match=r"batch of 1 takes .* ms in the trial run, more than the budget"):
        trial_run(data, check_onnx(data), OnnxLimits(trial_budget_ms=0.001))


def test_a_model_whose_actions_are_nan_is_refused_by_the_trial_run():
    data = models.always_nan_bytes()
    with pytest.raises(InvalidWeights, match="actions are NaN or infinite for the trial observations"):
        trial_run(data, check_onnx(data))
    trial_run(models.nan_bytes(), check_onnx(models.nan_bytes()))  # NaN only where real games go


def test_a_model_that_needs_more_memory_than_its_process_may_have_is_refused():
    # 1.8 M elements per observation: 460 MB at a batch of 64, past a 400 MiB process (the checks that would
    # refuse it first are relaxed here, to show the process limit holding on its own).
    data = models.wide_bytes(100_000)
    relaxed = OnnxLimits(max_elements_per_row=10**9, max_work_per_row=10**12, memory_mb=400)
    with pytest.raises(InvalidWeights, match="trial run failed"):
        trial_run(data, check_onnx(data, relaxed), relaxed)
    with pytest.raises(InvalidWeights, match="more than 262144 per observation"):
        check_onnx(data)  # the default bound refuses it before anything runs


SECRET = "secret.bin"
HOSTILE = {
    "external data in an initializer": (lambda: models.external_initializer_bytes(SECRET),
                                        "initializer 'w' keeps its data in an external file"),
    "external data, a path outside": (lambda: models.external_initializer_bytes("../../etc/passwd"),
                                      "keeps its data in an external file ('../../etc/passwd')"),
    "external data in a Constant": (lambda: models.external_constant_bytes(SECRET),
                                    "attribute 'value' of node 'hidden' (Constant) keeps its data in an external file"),
    "external data in an If branch": (lambda: models.external_in_branch_bytes(SECRET),
                                      "in a subgraph of node 'choose' (If) keeps its data in an external file"),
    "a 4000 x 4000 constant product": (models.constant_matmul_bytes, "is a ConstantOfShape"),
    "ConstantOfShape of 10 GB": (models.ten_gigabytes_bytes, "is a ConstantOfShape"),
    "a 200,000-node chain": (models.long_chain_bytes, "it has 200004 nodes, more than the 2000 allowed"),
    "outer products without bound": (models.outer_product_bytes, "more than 262144 per observation"),
    "40 nested If": (models.nested_if_bytes, "nested too deeply to parse"),
    "a custom operator domain": (models.custom_domain_bytes, "imports the operator domain 'evil.ops'"),
    "a com.microsoft contrib op": (models.contrib_op_bytes, "imports the operator domain 'com.microsoft'"),
    "a model-local function": (models.local_function_bytes, "defines 1 model-local functions"),
    "a Shape operator (chunk on a dynamic batch)": (models.shape_op_bytes, "is a Shape"),
    "a fixed batch size": (models.fixed_batch_bytes, "fixed batch size 1; its first dimension must be symbolic"),
    "an If subgraph": (lambda: models.if_bytes(), "has a subgraph; subgraphs (If, Loop, Scan) are not allowed"),
    "not ONNX at all": (lambda: b"\x80\x04\x95 a pickle, not a model", "not an ONNX file"),
    "an empty file": (lambda: b"", "the file is empty"),
}


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_hostile_files_are_refused_with_their_reason(what):
    build, reason = HOSTILE[what]
    with pytest.raises(InvalidWeights) as refused:
        check_onnx(build())
    assert 400 <= refused.value.status_code < 500
    assert reason in str(refused.value), str(refused.value)
    assert "\n" not in str(refused.value)


def test_bounds_come_from_the_limits(exports):
    data = exports["mlp"]
    with pytest.raises(InvalidWeights, match="holds 5636 numbers in initializers and constants, more than the 1000"):
        check_onnx(data, OnnxLimits(max_parameters=1000))
    with pytest.raises(InvalidWeights, match="more than the 3 allowed"):
        check_onnx(data, OnnxLimits(max_nodes=3))
    with pytest.raises(InvalidWeights, match="more than 100 per observation") as refused:
        check_onnx(data, OnnxLimits(max_work_per_row=100))
    assert refused.value.status_code == 422
    with pytest.raises(InvalidWeights, match="more than the 1000 allowed") as too_big:
        check_onnx(data, OnnxLimits(max_bytes=1000))
    assert too_big.value.status_code == 413
    with pytest.raises(InvalidWeights, match="opset 13 is not between 14"):
        check_onnx(exports["mlp13"], OnnxLimits(min_opset=14))


def test_the_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("LEAGUE_ONNX_MAX_NODES", "7")
    monkeypatch.setenv("LEAGUE_ONNX_STEP_BUDGET_MS", "")
    limits = OnnxLimits()
    assert limits.max_nodes == 7 and limits.step_budget_ms == 50.0


def test_signature_mistakes_are_named():
    wrong_names = models.renamed_bytes(inputs={"obs": "observation"})
    with pytest.raises(InvalidWeights, match=r"its inputs are \['observation'\] and outputs \['action'\]"):
        check_onnx(wrong_names)
    with pytest.raises(InvalidWeights, match="output 'action' must be \\[B, 4\\]"):
        check_onnx(models.wrong_width_bytes())


def test_the_kind_is_registered_and_takes_no_config(exports):
    kind = get_registrable_kind("onnx")
    assert kind.has_weights and kind.registrable
    checked = kind.validate(exports["mlp"], {})
    assert checked.data == exports["mlp"] and len(checked.sha256) == 64
    with pytest.raises(InvalidInput, match="takes no config"):
        kind.validate(exports["mlp"], {"hidden": 64})
