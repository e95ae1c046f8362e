"""ONNX policies checked from their bytes alone, before anything runs them.

An upload is refused (`InvalidWeights`, one line saying why) unless, in this order:
- it is at most `max_bytes`, parses as an ONNX model (a file nested past protobuf's depth
  limit, e.g. 40 `If` inside each other, fails to parse and is refused like any other) and has
  at most `max_nodes` nodes;
- no tensor anywhere keeps its data outside the file: initializers, `Constant` values and
  every other tensor attribute, in the graph, in subgraphs, in functions and training graphs
  (onnxruntime would read such data from the server's disk, and has no option to refuse it);
- it uses the standard operator domain only, opset `min_opset` up to what `onnx` knows, and
  has no model-local functions, training graphs, sparse tensors or subgraphs;
- every node is on the operator allow-list (what exporters write for MLPs, GRU/LSTM cells and
  normalisation layers); shape-making operators (Shape, ConstantOfShape, Expand, Tile, Range,
  Loop, ...) are not on it;
- initializers and constants hold at most `max_parameters` numbers;
- the signature is exact: input `obs` float32 [B, 18], output `action` float32 [B, 4], B
  symbolic, and optionally input `state` float32 [B, H] with output `state_out` float32 [B, H];
- shape inference, run for batches of 1 and 64, knows every tensor's shape, finds that
  signature, and bounds the work (multiply-adds plus elements read and written) and the
  largest computed tensor per observation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import onnx
from google.protobuf.message import DecodeError
from onnx import AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto

from league.core.errors import InvalidWeights
from league.core.kinds.onnx.limits import OnnxLimits

OBS_SIZE = 18
ACTION_SIZE = 4
TRIAL_BATCHES = (1, 64)
STANDARD_DOMAINS = ("", "ai.onnx")

ALLOWED_OPS = frozenset({
    # linear layers
    "Gemm", "MatMul",
    # arithmetic, element by element
    "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Sign", "Pow", "Sqrt", "Reciprocal", "Exp", "Log", "Erf",
    "Floor", "Ceil", "Round", "Min", "Max", "Sum", "Mean", "Clip", "Sin", "Cos",
    # activations
    "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Gelu", "Tanh", "Sigmoid", "HardSigmoid",
    "HardSwish", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Softmax", "LogSoftmax",
    # normalisation and reductions
    "LayerNormalization", "BatchNormalization", "RMSNormalization", "ReduceMean", "ReduceSum",
    "ReduceMax", "ReduceMin", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "ArgMax", "ArgMin",
    # recurrent cells
    "GRU", "LSTM", "RNN",
    # moving numbers around (shapes come from constants)
    "Identity", "Constant", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Split",
    "Slice", "Gather", "Cast", "Where", "Dropout",
    # comparisons and logic
    "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Not", "And", "Or", "IsNaN", "IsInf",
})
SHAPE_MAKERS = frozenset({"Shape", "Size", "ConstantOfShape", "Expand", "Tile", "Range", "Loop", "Scan", "If",
                          "NonZero", "Resize", "Upsample", "Pad", "OneHot", "TopK"})
RECURRENT_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
PARAMETER_TYPES = frozenset({
    TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.INT64,
    TensorProto.INT32, TensorProto.INT16, TensorProto.INT8, TensorProto.UINT8, TensorProto.BOOL,
})
SUBGRAPH_TYPES = (AttributeProto.GRAPH, AttributeProto.GRAPHS)


@dataclass(frozen=True)
class OnnxSignature:
    """What the checks learned about an accepted model."""

    state_size: int  # H of the recurrent state; 0 for a model without one
    opset: int
    nodes: int
    parameters: int
    work_per_row: int  # multiply-adds plus elements produced per observation (the larger of B=1 and B=64)


def refuse(message: str, status_code: int = 422) -> InvalidWeights:
    return InvalidWeights(f"the ONNX model is refused: {message}", status_code=status_code)


def check_onnx(data: bytes, limits: OnnxLimits | None = None) -> OnnxSignature:
    """Run every check on an uploaded ONNX file; its signature, or `InvalidWeights` saying why not."""
    limits = limits or OnnxLimits()
    if not data:
        raise refuse("the file is empty")
    if len(data) > limits.max_bytes:
        raise refuse(f"the file has {len(data)} bytes, more than the {limits.max_bytes} allowed", 413)
    model = parse_model(data)
    if len(model.graph.node) > limits.max_nodes:
        raise refuse(f"it has {len(model.graph.node)} nodes, more than the {limits.max_nodes} allowed")
    check_self_contained(model)
    opset = check_model_shape(model, limits)
    parameters = check_nodes_and_parameters(model.graph, limits)
    try:
        onnx.checker.check_model(model)
    except Exception as error:  # noqa: BLE001 (onnx raises ValidationError and others)
        raise refuse(f"it is not a valid ONNX model: {_first_line(error)}") from None
    state_size = check_declared_signature(model.graph, limits)
    work = check_inferred_shapes(model, state_size, limits)
    return OnnxSignature(state_size=state_size, opset=opset, nodes=len(model.graph.node), parameters=parameters,
                         work_per_row=work)


def parse_model(data: bytes) -> ModelProto:
    model = ModelProto()
    try:
        model.ParseFromString(bytes(data))
    except DecodeError as error:
        text = str(error)
        if "depth" in text.lower():
            raise refuse("it is nested too deeply to parse (subgraphs inside subgraphs past protobuf's "
                         "depth limit)") from None
        raise refuse(f"it is not an ONNX file (protobuf cannot parse it: {_first_line(error)})") from None
    except Exception as error:  # noqa: BLE001 (a parser failure of any kind is a refusal)
        raise refuse(f"it is not an ONNX file ({type(error).__name__}: {_first_line(error)})") from None
    if not model.HasField("graph") or not model.graph.node:
        raise refuse("it is not an ONNX model: it has no graph of operators")
    return model


# -- external data ---------------------------------------------------------------------------------


def _graph_tensors(graph: GraphProto, where: str) -> Iterator[tuple[TensorProto, str]]:
    for tensor in graph.initializer:
        yield tensor, f"initializer {tensor.name!r}{where}"
    for sparse in graph.sparse_initializer:
        yield sparse.values, f"sparse initializer {sparse.values.name!r}{where}"
        yield sparse.indices, f"sparse initializer {sparse.values.name!r}{where}"
    yield from _nodes_tensors(graph.node, where)


def _nodes_tensors(nodes, where: str) -> Iterator[tuple[TensorProto, str]]:
    for node in nodes:
        for attribute in node.attribute:
            here = f"attribute {attribute.name!r} of node {node.name!r} ({node.op_type}){where}"
            if attribute.HasField("t"):
                yield attribute.t, here
            for tensor in attribute.tensors:
                yield tensor, here
            sparse_tensors = [attribute.sparse_tensor] if attribute.HasField("sparse_tensor") else []
            for sparse in [*sparse_tensors, *attribute.sparse_tensors]:
                yield sparse.values, here
                yield sparse.indices, here
            inner = f" in a subgraph of node {node.name!r} ({node.op_type}){where}"
            graphs = [attribute.g] if attribute.HasField("g") else []
            for graph in [*graphs, *attribute.graphs]:
                yield from _graph_tensors(graph, inner)


def all_tensors(model: ModelProto) -> Iterator[tuple[TensorProto, str]]:
    """Every tensor the model holds, wherever it is, with words saying where."""
    yield from _graph_tensors(model.graph, "")
    for function in model.functions:
        yield from _nodes_tensors(function.node, f" in function {function.name!r}")
    for info in model.training_info:
        for graph in (info.initialization, info.algorithm):
            yield from _graph_tensors(graph, " in a training graph")


def check_self_contained(model: ModelProto) -> None:
    """Refuse any tensor whose data lives outside the file (a path onnxruntime would read)."""
    for tensor, where in all_tensors(model):
        if tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data):
            location = next((entry.value for entry in tensor.external_data if entry.key == "location"), "")
            raise refuse(f"{where} keeps its data in an external file ({location[:80]!r}); only "
                         "self-contained models are accepted (export with external_data=False)")


# -- the model's frame: opsets, functions, subgraphs ---------------------------------------------------


def check_model_shape(model: ModelProto, limits: OnnxLimits) -> int:
    """Refuse foreign domains, unknown opsets, functions, training graphs and sparse tensors; the opset."""
    newest = onnx.defs.onnx_opset_version()
    if not 7 <= model.ir_version <= onnx.IR_VERSION:
        raise refuse(f"its IR version {model.ir_version} is not between 7 and {onnx.IR_VERSION}")
    opset = None
    for entry in model.opset_import:
        if entry.domain not in STANDARD_DOMAINS:
            raise refuse(f"it imports the operator domain {entry.domain!r}; only the standard domain is allowed")
        opset = entry.version
    if opset is None:
        raise refuse("it imports no standard opset")
    if not limits.min_opset <= opset <= newest:
        raise refuse(f"its opset {opset} is not between {limits.min_opset} and {newest}")
    if model.functions:
        raise refuse(f"it defines {len(model.functions)} model-local functions; none are allowed")
    if model.training_info:
        raise refuse("it holds training graphs; only an inference graph is allowed")
    if model.graph.sparse_initializer:
        raise refuse("it holds sparse initializers; only dense tensors are allowed")
    return opset


def _subgraph_owner(graph: GraphProto) -> NodeProto | None:
    for node in graph.node:
        if any(attribute.type in SUBGRAPH_TYPES or attribute.HasField("g") or attribute.graphs
               for attribute in node.attribute):
            return node
    return None


def check_nodes_and_parameters(graph: GraphProto, limits: OnnxLimits) -> int:
    """Refuse subgraphs, too many nodes, foreign or unlisted operators and too many numbers; the count."""
    owner = _subgraph_owner(graph)
    if owner is not None:
        raise refuse(f"node {owner.name!r} ({owner.op_type}) has a subgraph; subgraphs (If, Loop, Scan) are "
                     "not allowed")
    parameters = 0
    for node in graph.node:
        if node.domain not in STANDARD_DOMAINS:
            raise refuse(f"node {node.name!r} uses operator {node.op_type!r} of domain {node.domain!r}; only the "
                         "standard domain is allowed")
        if node.op_type in SHAPE_MAKERS:
            raise refuse(f"node {node.name!r} is a {node.op_type}: operators that make shapes or loop are not "
                         "allowed (slice and reshape with constants instead, e.g. x[:, :32] rather than "
                         "x.chunk(2))")
        if node.op_type not in ALLOWED_OPS:
            raise refuse(f"node {node.name!r} uses operator {node.op_type!r}, which is not on the allow-list")
        if node.op_type == "Constant":
            parameters += _constant_size(node)
    for tensor in graph.initializer:
        parameters += _tensor_size(tensor, f"initializer {tensor.name!r}")
    if parameters > limits.max_parameters:
        raise refuse(f"it holds {parameters} numbers in initializers and constants, more than the "
                     f"{limits.max_parameters} allowed")
    return parameters


def _tensor_size(tensor: TensorProto, where: str) -> int:
    if tensor.data_type not in PARAMETER_TYPES:
        name = TensorProto.DataType.Name(tensor.data_type) if tensor.data_type in TensorProto.DataType.values() \
            else str(tensor.data_type)
        raise refuse(f"{where} is of type {name}; only numbers and booleans are allowed")
    if any(dim < 0 for dim in tensor.dims):
        raise refuse(f"{where} has a negative dimension {list(tensor.dims)}")
    return math.prod(tensor.dims)


def _constant_size(node: NodeProto) -> int:
    size = 0
    for attribute in node.attribute:
        if attribute.name == "value":
            size += _tensor_size(attribute.t, f"the value of Constant node {node.name!r}")
        elif attribute.name in ("value_float", "value_int"):
            size += 1
        elif attribute.name in ("value_floats", "value_ints"):
            size += len(attribute.floats) + len(attribute.ints)
        else:
            raise refuse(f"Constant node {node.name!r} has a {attribute.name!r}; only number values are allowed")
    return size


# -- the signature -------------------------------------------------------------------------------------


def _real_inputs(graph: GraphProto) -> list[onnx.ValueInfoProto]:
    initializers = {tensor.name for tensor in graph.initializer}
    return [value for value in graph.input if value.name not in initializers]


def _float_matrix(value: onnx.ValueInfoProto, width: int | None, role: str) -> int:
    """Check that `value` is float32 [B, width] with B symbolic; its width."""
    tensor = value.type.tensor_type if value.type.HasField("tensor_type") else None
    if tensor is None or tensor.elem_type != TensorProto.FLOAT:
        raise refuse(f"{role} {value.name!r} must be a float32 tensor")
    dims = tensor.shape.dim if tensor.HasField("shape") else []
    if len(dims) != 2:
        raise refuse(f"{role} {value.name!r} must have two dimensions [B, {width or 'H'}], it has {len(dims)}")
    if dims[0].HasField("dim_value"):
        raise refuse(f"{role} {value.name!r} has a fixed batch size {dims[0].dim_value}; its first dimension "
                     "must be symbolic (export with dynamic_axes={name: {0: 'batch'}})")
    if not dims[1].HasField("dim_value") or (width is not None and dims[1].dim_value != width):
        got = dims[1].dim_value if dims[1].HasField("dim_value") else (dims[1].dim_param or "unknown")
        raise refuse(f"{role} {value.name!r} must be [B, {width or 'H'}] with a fixed width, its width is {got}")
    return dims[1].dim_value


def check_declared_signature(graph: GraphProto, limits: OnnxLimits) -> int:
    """Refuse anything but obs -> action (optionally with state -> state_out); the state's width H."""
    inputs = {value.name: value for value in _real_inputs(graph)}
    outputs = {value.name: value for value in graph.output}
    stateful = "state" in inputs or "state_out" in outputs
    want_inputs, want_outputs = (["obs", "state"], ["action", "state_out"]) if stateful else (["obs"], ["action"])
    if sorted(inputs) != sorted(want_inputs) or sorted(outputs) != sorted(want_outputs):
        raise refuse(f"its inputs are {sorted(inputs)} and outputs {sorted(outputs)}; a policy has input 'obs' "
                     "and output 'action', and optionally input 'state' with output 'state_out'")
    _float_matrix(inputs["obs"], OBS_SIZE, "input")
    _float_matrix(outputs["action"], ACTION_SIZE, "output")
    if not stateful:
        return 0
    width = _float_matrix(inputs["state"], None, "input")
    if not 1 <= width <= limits.max_state_size:
        raise refuse(f"its state has width {width}; it must be between 1 and {limits.max_state_size}")
    _float_matrix(outputs["state_out"], width, "output")
    return width


# -- shapes and work, by shape inference -----------------------------------------------------------------


def _at_batch(model: ModelProto, batch: int) -> ModelProto:
    """A copy with the batch fixed at `batch` in the inputs and nothing declared about other tensors."""
    fixed = ModelProto()
    fixed.CopyFrom(model)
    del fixed.graph.value_info[:]
    for value in _real_inputs(fixed.graph):
        value.type.tensor_type.shape.dim[0].dim_value = batch
    for value in fixed.graph.output:
        value.type.tensor_type.shape.dim[0].dim_value = batch
    return fixed


def _shapes(model: ModelProto, batch: int) -> dict[str, tuple[int, ...]]:
    try:
        inferred = onnx.shape_inference.infer_shapes(_at_batch(model, batch), check_type=True, strict_mode=True,
                                                     data_prop=True)
    except Exception as error:  # noqa: BLE001 (inference errors come in several types)
        raise refuse(f"shape inference fails for a batch of {batch}: {_first_line(error)}") from None
    graph = inferred.graph
    shapes: dict[str, tuple[int, ...]] = {}
    for value in [*graph.input, *graph.value_info, *graph.output]:
        tensor = value.type.tensor_type
        if tensor.HasField("shape") and all(dim.HasField("dim_value") for dim in tensor.shape.dim):
            shapes[value.name] = tuple(dim.dim_value for dim in tensor.shape.dim)
    for tensor in graph.initializer:
        shapes[tensor.name] = tuple(tensor.dims)
    return shapes


def _node_work(node: NodeProto, shapes: dict[str, tuple[int, ...]]) -> int:
    """Multiply-adds of a node plus the elements it reads and writes (a bound, not a measurement)."""
    ins = [shapes.get(name, ()) for name in node.input if name]
    outs = [shapes[name] for name in node.output if name]
    moved = sum(math.prod(shape) for shape in [*ins, *outs])
    if node.op_type in ("MatMul", "Gemm") and ins and outs:
        transposed = any(a.name == "transA" and a.i for a in node.attribute)
        inner = ins[0][-2] if node.op_type == "Gemm" and transposed else ins[0][-1]
        return moved + math.prod(outs[0]) * inner
    if node.op_type in RECURRENT_GATES and len(ins) >= 2:
        steps, rows, width = ins[0]
        directions, gate_rows, _ = ins[1]
        return moved + steps * rows * directions * gate_rows * (width + gate_rows // RECURRENT_GATES[node.op_type])
    return moved


def check_inferred_shapes(model: ModelProto, state_size: int, limits: OnnxLimits) -> int:
    """Infer every shape at each trial batch; refuse unknown shapes, a wrong signature, too much work."""
    work_per_row = 0
    for batch in TRIAL_BATCHES:
        shapes = _shapes(model, batch)
        for node in model.graph.node:
            for name in node.output:
                if name and name not in shapes:
                    raise refuse(f"shape inference cannot tell the shape of {name!r} (output of node {node.name!r}, "
                                 f"{node.op_type}); every tensor's shape must follow from the inputs' shapes")
        expected = {"action": (batch, ACTION_SIZE)}
        if state_size:
            expected["state_out"] = (batch, state_size)
        for name, shape in expected.items():
            if shapes.get(name) != shape:
                raise refuse(f"for a batch of {batch} its output {name!r} has shape {list(shapes.get(name, ()))}, "
                             f"expected {list(shape)}")
        computed = [shapes[name] for node in model.graph.node if node.op_type != "Constant"
                    for name in node.output if name]
        largest = max((math.prod(shape) for shape in computed), default=0)
        if largest > limits.max_elements_per_row * batch:
            raise refuse(f"for a batch of {batch} one of its tensors has {largest} elements, more than "
                         f"{limits.max_elements_per_row} per observation")
        work = sum(_node_work(node, shapes) for node in model.graph.node)
        work_per_row = max(work_per_row, math.ceil(work / batch))
        if work > limits.max_work_per_row * batch:
            raise refuse(f"a batch of {batch} costs about {work} operations, more than {limits.max_work_per_row} "
                         "per observation")
    return work_per_row


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:300]
