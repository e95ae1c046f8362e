"""What a policy file holds, hashed without what does not change how it plays: one digest per policy.

Two files can hold the same tensors and differ in bytes: a checkpoint re-saved with other
safetensors `__metadata__`, tensors written in another order, an ONNX file re-exported with
another producer name or doc strings. The league registers such files once (see
`league.core.same_tensors`), by these digests rather than the file's sha256:

- safetensors: every tensor's name, dtype and shape and its bytes, in name order; the header's
  metadata, key order, padding and the data layout are left out;
- ONNX: the initializers the same way (each read as an array, so raw and typed encodings agree),
  then the graph without them, serialised deterministically after clearing what only describes
  the model (doc strings, node names, producer, model version, metadata properties, value-info
  annotations, the graph's name, the IR version).

Both take bytes that already passed their kind's checks; the ONNX one is
`league.core.kinds.onnx.digest.onnx_digest`.
"""

from __future__ import annotations

import hashlib
import json

from league.core.kinds.safetensors_check import parse_header

FORMAT = b"league tensor digest 1\n"


def tensor_line(name: str, dtype: str, shape: tuple[int, ...] | list[int]) -> bytes:
    return json.dumps([name, dtype, list(shape)], separators=(",", ":")).encode() + b"\n"


def safetensors_digest(data: bytes) -> str:
    """The sha256 of a safetensors file's tensors (names, dtypes, shapes, bytes) in name order."""
    tensors, data_start = parse_header(data)
    view = memoryview(data)
    digest = hashlib.sha256(FORMAT + b"safetensors\n")
    for name in sorted(tensors):
        info = tensors[name]
        digest.update(tensor_line(name, info.dtype, info.shape))
        digest.update(view[data_start + info.begin : data_start + info.end])
    return digest.hexdigest()
