"""An ONNX model's digest without what only describes it (see `league.core.kinds.tensor_digest`)."""

from __future__ import annotations

import hashlib

from onnx import numpy_helper

from league.core.kinds.onnx.check import parse_model
from league.core.kinds.tensor_digest import FORMAT, tensor_line


def onnx_digest(data: bytes) -> str:
    """The sha256 of an ONNX model's initializers in name order and of its graph without descriptions."""
    model = parse_model(data)
    digest = hashlib.sha256(FORMAT + b"onnx\n")
    graph = model.graph
    for initializer in sorted(graph.initializer, key=lambda tensor: tensor.name):
        array = numpy_helper.to_array(initializer)
        digest.update(tensor_line(initializer.name, array.dtype.str, array.shape))
        digest.update(array.tobytes())
    del graph.initializer[:]
    del graph.value_info[:]
    graph.name = graph.doc_string = ""
    for node in graph.node:
        node.name = node.doc_string = ""
    for value in (*graph.input, *graph.output):
        value.doc_string = ""
    for opset in sorted((o.domain, o.version) for o in model.opset_import):
        digest.update(tensor_line(opset[0], "opset", [opset[1]]))
    digest.update(graph.SerializeToString(deterministic=True))
    return digest.hexdigest()
