"""Safetensors checked as data, never executed: the checks every safetensors upload passes.

In order: not empty, not a pickle or zip (what `torch.save` writes) nor JSON (refused with 415), a
well-formed header whose offsets tile the data exactly, the tensor names, dtypes and shapes the
declared config builds, and finite values in every floating-point tensor. Each failure raises
`InvalidWeights` with a message that says what is wrong (422 unless said otherwise).

The safetensors layout (https://github.com/huggingface/safetensors): 8 bytes little-endian
header length N, N bytes of JSON `{name: {"dtype", "shape", "data_offsets": [begin, end]},
"__metadata__": {str: str}}`, then the data buffer the offsets index into.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from league.core.errors import InvalidWeights
from league.core.kinds.base import ValidatedWeights

TensorSpecs = dict[str, tuple[str, tuple[int, ...]]]  # name -> (safetensors dtype, shape)

# safetensors dtype -> bytes per element
DTYPE_SIZES: dict[str, int] = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}
MAX_HEADER_BYTES = 1 << 20  # a header of a few hundred tensors is a few KiB; 1 MiB is generous
MAX_RANK = 16  # dimensions of one tensor (the agent's have 1 or 2)
MAX_COUNT = 2**63 - 1  # the largest dimension or offset (safetensors writes them as u64/usize)

PICKLE_MESSAGE = (
    "the file is a Python pickle (what torch.save writes), not safetensors; pickles can run code "
    "when loaded and are never accepted: save the state dict with safetensors.torch.save_file"
)
JSON_MESSAGE = (
    "not a safetensors file: this is JSON text; a checkpoint's .json (its config and step) goes in `meta`, "
    "its .safetensors file in `weights`"
)
ZIP_MESSAGE = (
    "the file is a zip archive (what torch.save writes since PyTorch 1.6), not safetensors; "
    "save the state dict with safetensors.torch.save_file"
)


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of a safetensors file as its header declares it."""

    dtype: str
    shape: tuple[int, ...]
    begin: int  # offset in the data buffer
    end: int


@dataclass(frozen=True)
class SafetensorsWeights(ValidatedWeights):
    """A safetensors file that passed every check, with its tensors as the header declares them."""

    tensors: dict[str, TensorInfo]


def sniff_foreign_format(data: bytes) -> str | None:
    """A message when `data` (already known not to be safetensors) is a pickle, a zip or JSON, else None."""
    if data[:1] == b"\x80" and len(data) > 1 and 2 <= data[1] <= 5:
        return PICKLE_MESSAGE  # PROTO opcode of pickle protocol 2..5
    if data[:2] == b"PK":
        return ZIP_MESSAGE
    if data.lstrip()[:1] in (b"{", b"["):
        return JSON_MESSAGE  # a safetensors file starts with a binary length, never with JSON
    if data[:1] in (b"(", b"}", b"]", b"c") and data.rstrip().endswith(b"."):
        return PICKLE_MESSAGE  # protocol 0/1 pickles start with MARK, EMPTY_DICT/LIST or GLOBAL, end with STOP
    return None


def parse_header(data: bytes) -> tuple[dict[str, TensorInfo], int]:
    """Parse and check a safetensors header; return the tensors and where the data buffer starts.

    Checks: the length prefix fits the file, the header is a JSON object of well-formed entries
    with known dtypes, each entry's byte range matches its dtype and shape, and the ranges tile
    the data buffer exactly (no gaps, no overlaps, nothing missing or left over).
    """
    if len(data) < 8:
        raise InvalidWeights(f"the file is truncated: {len(data)} bytes is too short for a safetensors header")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > MAX_HEADER_BYTES:
        raise InvalidWeights(
            "not a safetensors file: a safetensors file starts with the length of its header; the "
            f"header length this file claims is {header_len} bytes (at most {MAX_HEADER_BYTES} are allowed); "
            "the file is another format, or corrupt"
        )
    if 8 + header_len > len(data):
        raise InvalidWeights(
            f"the file is truncated: the header claims {header_len} bytes but only {len(data) - 8} follow"
        )
    try:
        header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidWeights(f"the safetensors header is not valid JSON: {error}") from None
    except (RecursionError, ValueError) as error:  # nesting deeper than the parser goes, a 5000-digit number
        raise InvalidWeights(f"the safetensors header is not a header of tensors: {type(error).__name__}: "
                             f"{str(error)[:200]}") from None
    if not isinstance(header, dict):
        raise InvalidWeights("the safetensors header must be a JSON object of tensor entries")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        raise InvalidWeights("the safetensors __metadata__ must be an object of string values")
    tensors = {name: _parse_entry(name, entry) for name, entry in header.items()}
    data_start = 8 + header_len
    _check_tiling(tensors, len(data) - data_start)
    return tensors, data_start


def _parse_entry(name: str, entry: object) -> TensorInfo:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise InvalidWeights(f"tensor {name!r}: a header entry needs exactly dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPE_SIZES:
        raise InvalidWeights(f"tensor {name!r}: unknown dtype {dtype!r}")
    if not (isinstance(shape, list) and len(shape) <= MAX_RANK and all(_is_count(d) for d in shape)):
        raise InvalidWeights(f"tensor {name!r}: shape must be a list of at most {MAX_RANK} integers from 0 to "
                             f"2**63 - 1, got {_clipped(shape)}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(o) for o in offsets)):
        raise InvalidWeights(f"tensor {name!r}: data_offsets must be two integers from 0 to 2**63 - 1, "
                             f"got {_clipped(offsets)}")
    begin, end = offsets
    expected = math.prod(shape) * DTYPE_SIZES[dtype]
    if end - begin != expected:
        raise InvalidWeights(
            f"tensor {name!r}: the header lies: dtype {dtype} with shape {shape} needs {expected} bytes "
            f"but data_offsets {offsets} span {end - begin}"
        )
    return TensorInfo(dtype=dtype, shape=tuple(shape), begin=begin, end=end)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def _clipped(value: object) -> str:
    text = repr(value) if not isinstance(value, list) or len(value) <= 20 else f"a list of {len(value)} items"
    return text if len(text) <= 200 else text[:200] + "..."


def _check_tiling(tensors: dict[str, TensorInfo], buffer_len: int) -> None:
    position = 0
    for name, info in sorted(tensors.items(), key=lambda item: (item[1].begin, item[1].end)):
        if info.begin != position:
            what = "overlaps the previous tensor" if info.begin < position else "leaves a gap before it"
            raise InvalidWeights(f"tensor {name!r}: the header lies: its data_offsets {what}")
        position = info.end
    if position > buffer_len:
        raise InvalidWeights(
            f"the file is truncated: the header describes {position} data bytes but only {buffer_len} follow"
        )
    if position < buffer_len:
        raise InvalidWeights(
            f"the header lies: {buffer_len - position} bytes after the last tensor belong to no tensor"
        )


def check_specs(tensors: dict[str, TensorInfo], expected: TensorSpecs) -> None:
    """Refuse unless the tensors are exactly the expected names with the expected dtypes and shapes."""
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    problems = []
    if missing:
        problems.append(f"missing tensors {_short_list(missing)}")
    if extra:
        problems.append(f"unexpected tensors {_short_list(extra)}")
    for name in sorted(set(expected) & set(tensors)):
        dtype, shape = expected[name]
        got = tensors[name]
        if got.dtype != dtype or got.shape != tuple(shape):
            problems.append(
                f"tensor {name!r} is {got.dtype}{list(got.shape)} but the config needs {dtype}{list(shape)}"
            )
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise InvalidWeights(f"the weights do not match the declared config: {shown}")


def _short_list(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_finite(data: bytes, data_start: int, tensors: dict[str, TensorInfo]) -> None:
    """Refuse if any floating-point tensor holds NaN or infinity."""
    for name, info in tensors.items():
        raw = data[data_start + info.begin : data_start + info.end]
        values = _as_float_array(raw, info.dtype)
        if values is not None and values.size and not np.isfinite(values).all():
            bad = int((~np.isfinite(values)).sum())
            raise InvalidWeights(f"tensor {name!r} holds {bad} NaN or infinite values; weights must be finite")


def _as_float_array(raw: bytes, dtype: str) -> np.ndarray | None:
    if dtype == "F64":
        return np.frombuffer(raw, dtype="<f8")
    if dtype == "F32":
        return np.frombuffer(raw, dtype="<f4")
    if dtype == "F16":
        return np.frombuffer(raw, dtype="<f2")
    if dtype == "BF16":  # the high half of a float32
        return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    if dtype == "F8_E4M3":  # S.EEEE.MMM: only 0x7F/0xFF are NaN, no infinity
        return np.where((np.frombuffer(raw, dtype=np.uint8) & 0x7F) == 0x7F, np.nan, 0.0)
    if dtype == "F8_E5M2":  # S.EEEEE.MM: exponent all ones is inf or NaN
        return np.where((np.frombuffer(raw, dtype=np.uint8) & 0x7C) == 0x7C, np.nan, 0.0)
    return None  # integer and bool tensors are always finite


def validate_safetensors(data: bytes, expected_specs: Callable[[], TensorSpecs] | TensorSpecs | None
                         ) -> SafetensorsWeights:
    """Run every check on a complete upload; return it with its sha256 or raise `InvalidWeights`.

    `expected_specs` is the name -> (dtype, shape) mapping the declared config builds (or a
    callable returning it; a ValueError from it is reported as an invalid config); None skips
    the name/shape check (for layouts not known in advance).
    """
    if not data:
        raise InvalidWeights("the weights file is empty")
    try:
        tensors, data_start = parse_header(data)
    except InvalidWeights:
        foreign = sniff_foreign_format(data)  # only asked when the file is not safetensors
        if foreign:
            raise InvalidWeights(foreign, status_code=415) from None
        raise
    if not tensors:
        raise InvalidWeights("the safetensors file holds no tensors")
    if expected_specs is not None:
        if callable(expected_specs):
            try:
                expected_specs = expected_specs()
            except ValueError as error:
                raise InvalidWeights(f"invalid config: {error}") from None
        check_specs(tensors, expected_specs)
    check_finite(data, data_start, tensors)
    return SafetensorsWeights(data=data, sha256=hashlib.sha256(data).hexdigest(), tensors=tensors)
