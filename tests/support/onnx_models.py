"""ONNX files for tests and benchmarks: real exports of small policies, and hostile files built by hand.

The policies are PyTorch modules exported with `torch.onnx.export(..., dynamo=False)`, batch
dimension symbolic: an MLP, a GRU cell and an LSTM with a recurrent state, a model that answers
NaN and a slow one. The hostile files are the ones the `onnx` kind must refuse: external data
(in an initializer, a `Constant` and an `If` branch), shape-making operators that ask for
gigabytes, a 200,000-node chain, an outer product that grows without bound, `If` nested past
protobuf's depth limit, foreign operator domains and model-local functions.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

OBS = helper.make_tensor_value_info("obs", TensorProto.FLOAT, ["batch", 18])
ACTION = helper.make_tensor_value_info("action", TensorProto.FLOAT, ["batch", 4])


def export(module: nn.Module, state_size: int = 0, opset: int = 17) -> bytes:
    """`module(obs)` -> action, or `module(obs, state)` -> (action, state_out), as ONNX bytes."""
    inputs, outputs = (["obs", "state"], ["action", "state_out"]) if state_size else (["obs"], ["action"])
    example = (torch.zeros(2, 18), torch.zeros(2, state_size)) if state_size else (torch.zeros(2, 18),)
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python conditions in nn.LSTM
        torch.onnx.export(module.eval(), example, buffer, input_names=inputs, output_names=outputs,
                          dynamic_axes={name: {0: "batch"} for name in inputs + outputs}, opset_version=opset,
                          dynamo=False)
    return buffer.getvalue()


class MlpActor(nn.Module):
    def __init__(self, hidden: int = 64, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Linear(18, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 4))

    def forward(self, obs):
        return torch.tanh(self.net(obs))


class GruActor(nn.Module):
    """A GRU cell over observations, LayerNorm and SiLU before the action head; the state is h."""

    def __init__(self, hidden: int = 32, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.cell, self.norm, self.head = nn.GRUCell(18, hidden), nn.LayerNorm(hidden), nn.Linear(hidden, 4)

    def forward(self, obs, state):
        h = self.cell(obs, state)
        return torch.tanh(self.head(nn.functional.silu(self.norm(h)))), h


class LstmActor(nn.Module):
    """One step of an LSTM; the state is [h, c], split with fixed slices."""

    def __init__(self, hidden: int = 16, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.hidden = hidden
        self.lstm, self.head = nn.LSTM(18, hidden, batch_first=True), nn.Linear(hidden, 4)

    def forward(self, obs, state):
        h, c = state[:, : self.hidden].unsqueeze(0), state[:, self.hidden :].unsqueeze(0)
        out, (h, c) = self.lstm(obs.unsqueeze(1), (h.contiguous(), c.contiguous()))
        return torch.tanh(self.head(out[:, 0])), torch.cat([h[0], c[0]], dim=-1)


class TorchPolicy:
    """The same module played in torch: the reference an exported policy must match (batched protocol)."""

    def __init__(self, module: nn.Module, state_size: int = 0):
        self.module, self.state_size = module.eval(), state_size
        self.state = torch.zeros(0, state_size)

    def reset(self, n: int) -> None:
        self.state = torch.zeros(n, self.state_size)

    def drop(self, rows) -> None:
        keep = np.setdiff1d(np.arange(len(self.state)), rows)
        self.state = self.state[torch.as_tensor(keep, dtype=torch.long)]

    def act(self, obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            obs = torch.as_tensor(np.asarray(obs, dtype=np.float32))
            if not self.state_size:
                return self.module(obs).numpy()
            action, self.state = self.module(obs, self.state)
            return action.numpy()


class RecordingPolicy:
    """Plays `policy` and records every call, so that another policy can be fed the very same games."""

    def __init__(self, policy):
        self.policy, self.calls, self._rows = policy, [], 0

    def reset(self, n: int) -> None:
        self.calls.append(("reset", n))
        self._rows = n
        self.policy.reset(n)

    def drop(self, rows) -> None:
        self.calls.append(("drop", np.asarray(rows)))
        if hasattr(self.policy, "drop"):
            self.policy.drop(rows)
        else:
            self.policy.keep_rows(np.setdiff1d(np.arange(self._rows), rows))
        self._rows -= len(rows)

    def act(self, obs: np.ndarray) -> np.ndarray:
        action = np.asarray(self.policy.act(obs), dtype=np.float64)
        self.calls.append(("act", np.array(obs), action))
        return action


def replay_difference(calls, policy) -> tuple[float, int]:
    """Feed `policy` the recorded calls; (largest absolute action difference, steps compared)."""
    worst, steps = 0.0, 0
    for call in calls:
        if call[0] == "reset":
            policy.reset(call[1])
        elif call[0] == "drop":
            policy.drop(call[1])
        else:
            worst = max(worst, float(np.abs(np.asarray(policy.act(call[1]), np.float64) - call[2]).max()))
            steps += 1
    return worst, steps


def mlp_bytes(hidden: int = 64, seed: int = 0) -> bytes:
    return export(MlpActor(hidden, seed))


def gru_bytes(hidden: int = 32, seed: int = 0) -> bytes:
    return export(GruActor(hidden, seed), state_size=hidden)


def lstm_bytes(hidden: int = 16, seed: int = 0) -> bytes:
    return export(LstmActor(hidden, seed), state_size=2 * hidden)


# -- hand-built models -----------------------------------------------------------------------------


def model_bytes(nodes, initializers=(), inputs=(OBS,), outputs=(ACTION,), opset: int = 17, **extra) -> bytes:
    graph = helper.make_graph(list(nodes), "policy", list(inputs), list(outputs), initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset), *extra.pop("opsets", [])],
                              **extra)
    model.ir_version = 8
    return model.SerializeToString()


def constant(name: str, values) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], name=name, value=numpy_helper.from_array(np.asarray(values), name))


def first_four() -> list[onnx.NodeProto]:
    """obs[:, :4] as `first4`."""
    return [constant("starts", np.array([0], np.int64)), constant("ends", np.array([4], np.int64)),
            constant("axes", np.array([1], np.int64)),
            helper.make_node("Slice", ["obs", "starts", "ends", "axes"], ["first4"], name="slice")]


def nan_bytes() -> bytes:
    """A policy whose actions are NaN in play: sqrt(obs[:, :4] + 2), and a player's x starts at -3.
    (For the trial's observations, all in [-1, 1], its actions are finite.)"""
    return model_bytes([*first_four(), constant("two", np.array(2, np.float32)),
                        helper.make_node("Add", ["first4", "two"], ["shifted"], name="shift"),
                        helper.make_node("Sqrt", ["shifted"], ["action"], name="sqrt")])


def always_nan_bytes() -> bytes:
    """A policy whose actions are always NaN: log(obs[:, :4] - 100)."""
    return model_bytes([*first_four(), constant("hundred", np.array(100, np.float32)),
                        helper.make_node("Sub", ["first4", "hundred"], ["below"], name="sub"),
                        helper.make_node("Log", ["below"], ["action"], name="log")])


def slow_bytes(width: int = 500, layers: int = 3, seed: int = 0) -> bytes:
    """A chain of width x width matrix products: legal, but far slower than a policy needs to be."""
    rng = np.random.default_rng(seed)
    shapes = [(18, width), *[(width, width)] * (layers - 1), (width, 4)]
    weights = [numpy_helper.from_array((rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32), f"w{i}")
               for i, shape in enumerate(shapes)]
    nodes, x = [], "obs"
    for i in range(len(shapes)):
        nodes += [helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"], name=f"matmul{i}"),
                  helper.make_node("Tanh", [f"m{i}"], ["action" if i == len(shapes) - 1 else f"t{i}"], name=f"tanh{i}")]
        x = f"t{i}"
    return model_bytes(nodes, weights)


def _external(name: str, location: str, size: int = 4) -> onnx.TensorProto:
    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=[size])
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(4 * size))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def external_initializer_bytes(location: str) -> bytes:
    """action = obs[:, :4] + w, where w's 16 bytes are read from the file `location`."""
    return model_bytes([*first_four(), helper.make_node("Add", ["first4", "w"], ["action"], name="add")],
                       [_external("w", location)])


def external_constant_bytes(location: str) -> bytes:
    """The same, with the external tensor hidden in a `Constant` node's value."""
    hidden = helper.make_node("Constant", [], ["w"], name="hidden", value=_external("w", location))
    return model_bytes([*first_four(), hidden, helper.make_node("Add", ["first4", "w"], ["action"], name="add")])


def external_in_branch_bytes(location: str) -> bytes:
    """The external tensor as an initializer of an `If` branch (both branches read it)."""
    out = helper.make_tensor_value_info("w", TensorProto.FLOAT, [4])
    branch = helper.make_graph([helper.make_node("Identity", ["secret"], ["w"], name="read")], "branch", [], [out],
                               initializer=[_external("secret", location)])
    condition = constant("condition", np.array(True))
    choose = helper.make_node("If", ["condition"], ["w"], name="choose", then_branch=branch, else_branch=branch)
    return model_bytes([*first_four(), condition, choose,
                        helper.make_node("Add", ["first4", "w"], ["action"], name="add")])


def _plus_scalar_of(tensor: str) -> list[onnx.NodeProto]:
    """action = obs[:, :4] + sum(tensor): the tensor is computed whatever the observation."""
    return [*first_four(), helper.make_node("ReduceSum", [tensor], ["total"], name="total", keepdims=0),
            helper.make_node("Add", ["first4", "total"], ["action"], name="add")]


def constant_matmul_bytes(size: int = 4000) -> bytes:
    """A few hundred bytes asking for a size x size constant product (constant folding would run it at load)."""
    shape = constant("shape", np.array([size, size], np.int64))
    ones = helper.make_node("ConstantOfShape", ["shape"], ["ones"], name="ones",
                            value=numpy_helper.from_array(np.array([1.0], np.float32)))
    product = helper.make_node("MatMul", ["ones", "ones"], ["product"], name="product")
    return model_bytes([shape, ones, product, *_plus_scalar_of("product")])


def ten_gigabytes_bytes() -> bytes:
    """ConstantOfShape asking for 50,000 x 50,000 float32 (10 GB)."""
    shape = constant("shape", np.array([50_000, 50_000], np.int64))
    zeros = helper.make_node("ConstantOfShape", ["shape"], ["zeros"], name="zeros",
                             value=numpy_helper.from_array(np.array([0.0], np.float32)))
    return model_bytes([shape, zeros, *_plus_scalar_of("zeros")])


def long_chain_bytes(nodes: int = 200_000) -> bytes:
    """obs[:, :4] through `nodes` Relu nodes (the chain is appended as raw protobuf: fast to build)."""
    head = helper.make_graph([*first_four(), helper.make_node("Relu", ["first4"], ["x0000000"], name="r0")],
                             "policy", [OBS], [ACTION])
    relu = _field(4, b"Relu")
    sample = _field(1, _field(1, b"x0000000") + _field(2, b"y0000000") + _field(3, b"r0000000") + relu)
    template = sample.replace(b"x0000000", b"x%07d").replace(b"y0000000", b"x%07d").replace(b"r0000000", b"r%07d")
    chain = b"".join(template % (i, i + 1, i + 1) for i in range(nodes - 2))  # fixed-width names: same lengths
    last = _field(1, _field(1, b"x%07d" % (nodes - 2)) + _field(2, b"action") + _field(3, b"last") + relu)
    return b"\x08\x08" + _field(7, head.SerializeToString() + chain + last) + _field(8, b"\x10\x11")


def outer_product_bytes(rounds: int = 3) -> bytes:
    """Repeated outer products of the observation with itself: 18 -> 324 -> 104,976 -> 1.1e10 per row."""
    nodes, x, width = [constant("minus1", np.array([-1], np.int64)), constant("minus2", np.array([-2], np.int64))], "obs", 18
    for i in range(rounds):
        width *= width
        nodes += [helper.make_node("Unsqueeze", [x, "minus1"], [f"col{i}"], name=f"col{i}"),
                  helper.make_node("Unsqueeze", [x, "minus2"], [f"row{i}"], name=f"row{i}"),
                  helper.make_node("Mul", [f"col{i}", f"row{i}"], [f"outer{i}"], name=f"outer{i}"),
                  constant(f"flat{i}", np.array([0, width], np.int64)),
                  helper.make_node("Reshape", [f"outer{i}", f"flat{i}"], [f"x{i}"], name=f"reshape{i}")]
        x = f"x{i}"
    nodes += [constant("starts", np.array([0], np.int64)), constant("ends", np.array([4], np.int64)),
              constant("axes", np.array([1], np.int64)),
              helper.make_node("Slice", [x, "starts", "ends", "axes"], ["action"], name="slice")]
    return model_bytes(nodes)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    def varint(value: int) -> bytes:
        out = bytearray()
        while True:
            out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
            value >>= 7
            if not value:
                return bytes(out)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def nested_if_bytes(depth: int = 40) -> bytes:
    """A model whose graph is an `If` whose branch is an `If` ... `depth` deep, written as raw protobuf
    (the protobuf library itself refuses to build it: it is past its depth limit)."""
    graph = _field(1, _field(2, b"y") + _field(4, b"Identity") + _field(1, b"x"))  # GraphProto.node
    for _ in range(depth):
        attribute = _field(1, b"then_branch") + _field(6, graph) + b"\xa0\x01\x05"  # name, g, type = GRAPH
        graph = _field(1, _field(1, b"c") + _field(2, b"y") + _field(4, b"If") + _field(5, attribute))
    opset = b"\x10\x11"  # OperatorSetIdProto.version = 17
    return b"\x08\x08" + _field(7, graph) + _field(8, opset)  # ir_version 8, graph, opset_import


def custom_domain_bytes(domain: str = "evil.ops") -> bytes:
    node = helper.make_node("Steal", ["first4"], ["action"], name="steal", domain=domain)
    return model_bytes([*first_four(), node], opsets=[helper.make_opsetid(domain, 1)])


def contrib_op_bytes() -> bytes:
    """A `com.microsoft` contrib operator (onnxruntime would run it)."""
    node = helper.make_node("FastGelu", ["first4"], ["action"], name="gelu", domain="com.microsoft")
    return model_bytes([*first_four(), node], opsets=[helper.make_opsetid("com.microsoft", 1)])


def local_function_bytes() -> bytes:
    """A model-local function in the standard domain."""
    function = helper.make_function("", "Twice", ["x"], ["y"], [helper.make_node("Add", ["x", "x"], ["y"])],
                                    [helper.make_opsetid("", 17)])
    node = helper.make_node("Twice", ["first4"], ["action"], name="twice")
    return model_bytes([*first_four(), node], functions=[function])


def fixed_batch_bytes() -> bytes:
    obs = helper.make_tensor_value_info("obs", TensorProto.FLOAT, [1, 18])
    action = helper.make_tensor_value_info("action", TensorProto.FLOAT, [1, 4])
    return model_bytes(first_four()[:3] + [helper.make_node("Slice", ["obs", "starts", "ends", "axes"], ["action"])],
                       inputs=[obs], outputs=[action])


def shape_op_bytes() -> bytes:
    """An LSTM exported with `chunk` on a dynamic batch: the export holds Shape and Gather."""
    class Chunked(LstmActor):
        def forward(self, obs, state):
            h, c = state.chunk(2, dim=-1)
            out, (h, c) = self.lstm(obs.unsqueeze(1), (h.unsqueeze(0).contiguous(), c.unsqueeze(0).contiguous()))
            return torch.tanh(self.head(out[:, 0])), torch.cat([h[0], c[0]], dim=-1)

    return export(Chunked(16), state_size=32)


def wide_bytes(width: int) -> bytes:
    """An outer product of the observation with a constant row of `width`: 18 * width elements per row."""
    row = numpy_helper.from_array(np.full((1, 1, width), 1e-3, np.float32), "row")
    return model_bytes([constant("minus1", np.array([-1], np.int64)),
                        helper.make_node("Unsqueeze", ["obs", "minus1"], ["column"], name="column"),
                        helper.make_node("Mul", ["column", "row"], ["outer"], name="outer"),
                        helper.make_node("ReduceSum", ["outer", "minus1"], ["summed"], name="sum", keepdims=0),
                        constant("starts", np.array([0], np.int64)), constant("ends", np.array([4], np.int64)),
                        constant("axes", np.array([1], np.int64)),
                        helper.make_node("Slice", ["summed", "starts", "ends", "axes"], ["action"], name="slice")],
                       [row])


def if_bytes() -> bytes:
    """An `If` whose branches are ordinary constants (no external data): refused as a subgraph."""
    out = helper.make_tensor_value_info("w", TensorProto.FLOAT, [4])
    branch = helper.make_graph([constant("w", np.zeros(4, np.float32))], "branch", [], [out])
    choose = helper.make_node("If", ["condition"], ["w"], name="choose", then_branch=branch, else_branch=branch)
    return model_bytes([*first_four(), constant("condition", np.array(True)), choose,
                        helper.make_node("Add", ["first4", "w"], ["action"], name="add")])


def renamed_bytes(inputs: dict[str, str]) -> bytes:
    """obs[:, :4] as the action, with the input called `inputs["obs"]`."""
    name = inputs.get("obs", "obs")
    value = helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", 18])
    nodes = first_four()
    nodes[-1].input[0] = name
    nodes[-1].output[0] = "action"
    return model_bytes(nodes, inputs=[value])


def wrong_width_bytes() -> bytes:
    """obs[:, :3] as the action: three numbers where the game wants four."""
    nodes = first_four()
    nodes[1] = constant("ends", np.array([3], np.int64))
    nodes[-1].output[0] = "action"
    return model_bytes(nodes, outputs=[helper.make_tensor_value_info("action", TensorProto.FLOAT, ["batch", 3])])
