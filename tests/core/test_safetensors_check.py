"""The safetensors checks of the league core, on real files: every bad input refused with a clear message."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import struct
import zipfile

import numpy as np
import pytest
from safetensors.numpy import save

from league.core.errors import InvalidInput, InvalidWeights
from league.core.kinds.safetensors_check import validate_safetensors

SPECS = {"encoder.weight": ("F32", (4, 3)), "encoder.bias": ("F32", (4,)), "steps": ("I64", (1,))}


def good_tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "encoder.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "encoder.bias": np.zeros(4, np.float32),
        "steps": np.array([7], np.int64),
    }


def refused(data: bytes, specs=SPECS) -> InvalidWeights:
    with pytest.raises(InvalidWeights) as caught:
        validate_safetensors(data, specs)
    return caught.value


def raw_safetensors(header: dict, buffer: bytes) -> bytes:
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + buffer


def test_a_valid_file_passes_with_its_sha256():
    data = save(good_tensors(), metadata={"note": "ok"})
    weights = validate_safetensors(data, SPECS)
    assert weights.sha256 == hashlib.sha256(data).hexdigest()
    assert weights.tensors["encoder.weight"].shape == (4, 3)
    assert weights.data == data


def test_specs_may_come_from_a_callable_and_its_value_error_is_an_invalid_config():
    data = save(good_tensors())
    assert validate_safetensors(data, lambda: SPECS).sha256

    def bad_config():
        raise ValueError("hidden must be positive")

    error = refused(data, bad_config)
    assert error.status_code == 422 and "invalid config: hidden must be positive" in error.message


def test_refusals_are_invalid_input_carrying_their_status():
    error = refused(b"")
    assert isinstance(error, InvalidInput) and error.status_code == 422 and str(error) == error.message


def test_a_pickle_is_refused_as_a_pickle():
    error = refused(pickle.dumps({"encoder.weight": [1.0, 2.0]}, protocol=2))
    assert error.status_code == 415 and "pickle" in error.message
    error = refused(pickle.dumps({"a": 1}, protocol=0))
    assert error.status_code == 415 and "pickle" in error.message


def test_a_zip_as_torch_save_writes_is_refused_as_a_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    error = refused(buffer.getvalue())
    assert error.status_code == 415 and "zip" in error.message


def test_a_truncated_file_is_refused():
    data = save(good_tensors())
    assert "truncated" in refused(data[:-5]).message
    assert "truncated" in refused(data[:20]).message
    assert "truncated" in refused(data[:4]).message
    assert "empty" in refused(b"").message


def test_a_header_that_lies_about_sizes_is_refused():
    weight = np.ones((4, 3), np.float32).tobytes()
    header = {"encoder.weight": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, len(weight)]}}
    assert "lies" in refused(raw_safetensors(header, weight), None).message


def test_overlapping_or_gapped_offsets_and_trailing_bytes_are_refused():
    block = np.ones(4, np.float32).tobytes()
    overlap = {
        "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
    }
    assert "overlaps" in refused(raw_safetensors(overlap, block + block), None).message
    gap = {"a": {"dtype": "F32", "shape": [4], "data_offsets": [4, 20]}}
    assert "gap" in refused(raw_safetensors(gap, block + block[:4]), None).message
    trailing = {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}
    assert "belong to no tensor" in refused(raw_safetensors(trailing, block + b"junk"), None).message


def test_malformed_headers_are_refused():
    assert "not valid JSON" in refused(struct.pack("<Q", 5) + b"{nope" + b"", None).message
    assert "JSON object" in refused(raw_safetensors([1, 2], b""), None).message  # type: ignore[arg-type]
    bad_dtype = {"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}
    assert "unknown dtype" in refused(raw_safetensors(bad_dtype, bytes(16)), None).message
    bad_shape = {"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}
    assert "shape" in refused(raw_safetensors(bad_shape, bytes(4)), None).message
    extra_key = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}
    assert "exactly" in refused(raw_safetensors(extra_key, bytes(4)), None).message
    assert "claims" in refused(struct.pack("<Q", 2**40) + b"{}", None).message
    assert "no tensors" in refused(raw_safetensors({}, b""), None).message


def test_wrong_names_dtypes_and_shapes_are_refused_with_what_differs():
    tensors = good_tensors()
    tensors["encoder.weight"] = np.zeros((3, 4), np.float32)
    assert "'encoder.weight' is F32[3, 4] but the config needs F32[4, 3]" in refused(save(tensors)).message
    tensors = good_tensors()
    tensors["encoder.bias"] = np.zeros(4, np.float64)
    assert "F64[4] but the config needs F32[4]" in refused(save(tensors)).message
    tensors = good_tensors()
    del tensors["steps"]
    tensors["extra"] = np.zeros(1, np.float32)
    message = refused(save(tensors)).message
    assert "missing tensors 'steps'" in message and "unexpected tensors 'extra'" in message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", ["F32", "F16", "F64"])
def test_non_finite_weights_are_refused(bad, dtype):
    np_dtype = {"F32": np.float32, "F16": np.float16, "F64": np.float64}[dtype]
    tensors = {"w": np.array([1.0, bad, 2.0], np_dtype)}
    error = refused(save(tensors), {"w": (dtype, (3,))})
    assert "NaN or infinite" in error.message and "'w'" in error.message


def test_non_finite_bf16_is_refused_and_finite_bf16_passes():
    finite = np.array([1.0, -2.5], np.float32).view(np.uint32) >> 16
    header = {"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}
    assert validate_safetensors(raw_safetensors(header, finite.astype("<u2").tobytes()), None).sha256
    nan = np.array([1.0, np.nan], np.float32).view(np.uint32) >> 16
    assert "NaN" in refused(raw_safetensors(header, nan.astype("<u2").tobytes()), None).message
