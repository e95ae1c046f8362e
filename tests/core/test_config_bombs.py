"""Hostile uploads are refused fast, before any network is built: configs out of bounds, configs that
build too many parameters, safetensors headers nested past the parser."""

from __future__ import annotations

import math
import struct
import time

import pytest

from agents.checkpoint import expected_tensor_specs
from agents.config import FIELD_BOUNDS, DreamerConfig
from league.core.errors import InvalidWeights
from league.core.kinds import dreamer
from league.core.kinds.safetensors_check import MAX_RANK, validate_safetensors
from tests.support.app_client import debug_config, weights_for


@pytest.mark.parametrize("field, value", [
    ("hidden", 2**62), ("recurrent", 2**33), ("mlp_layers", 1000), ("mlp_layers", 10_000), ("mlp_layers", 2**31),
    ("latent", 10**400), ("free_bits", 10**400), ("gamma", float("nan")), ("model_lr", float("inf")),
])
def test_a_config_bomb_is_refused_fast_naming_its_field(field, value):
    weights = weights_for(debug_config(), seed=1)
    started = time.perf_counter()
    with pytest.raises(InvalidWeights, match=f"invalid config: config field {field} must be") as refused:
        dreamer.validate(weights, {**debug_config(), field: value})
    assert refused.value.status_code == 422
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("field", sorted(name for name, (low, high) in FIELD_BOUNDS.items() if low < high))
def test_every_bounded_field_takes_its_bounds_and_refuses_one_past(field):
    low, high = FIELD_BOUNDS[field]
    base = DreamerConfig().to_dict()
    for inside in (low, high):
        assert getattr(DreamerConfig.from_dict({**base, field: inside}), field) == inside
    with pytest.raises(ValueError, match=f"{field} must be at most {high}"):
        DreamerConfig.from_dict({**base, field: high + 1})
    with pytest.raises(ValueError, match=f"{field} must be at least {low}"):
        DreamerConfig.from_dict({**base, field: low - 1})


def test_the_parameter_cap_admits_a_config_at_it_and_refuses_one_over():
    config = debug_config()
    count = sum(math.prod(shape) for _, shape in expected_tensor_specs(config).values())
    assert dreamer.config_specs(config, max_parameters=count)
    with pytest.raises(InvalidWeights, match=f"builds {count:,} parameters, more than the league's limit of "
                                             f"{count - 1:,}"):
        dreamer.config_specs(config, max_parameters=count - 1)


def test_the_default_parameter_cap_refuses_the_widest_config_the_bounds_allow():
    widest = {**debug_config(), "hidden": 4096, "mlp_layers": 16, "recurrent": 4096, "latent": 1024}
    started = time.perf_counter()
    with pytest.raises(InvalidWeights, match="more than the league's limit of 16,777,216"):
        dreamer.config_specs(widest)
    assert time.perf_counter() - started < 5.0
    assert dreamer.config_specs(DreamerConfig().to_dict())  # the default agent fits


def _safetensors(header: bytes) -> bytes:
    return struct.pack("<Q", len(header)) + header


@pytest.mark.parametrize("header, message", [
    (b"[" * 2000 + b"]" * 2000, "not a header of tensors: RecursionError"),
    (b'{"a": ' + b"[" * 2000 + b"]" * 2000 + b"}", "not a header of tensors: RecursionError"),
    (b'{"a": 1' + b"0" * 5000 + b"}", "not a header of tensors: ValueError"),
    (b'{"a": {"dtype": "F32", "shape": [' + b",".join([b"999999999"] * 40_000) + b'], "data_offsets": [0, 4]}}',
     f"shape must be a list of at most {MAX_RANK} integers"),
    (b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, ' + str(2**64).encode() + b"]}}",
     "data_offsets must be two integers from 0 to 2\\*\\*63 - 1"),
])
def test_a_hostile_safetensors_header_is_a_422(header, message):
    started = time.perf_counter()
    with pytest.raises(InvalidWeights, match=message) as refused:
        validate_safetensors(_safetensors(header), None)
    assert refused.value.status_code == 422 and time.perf_counter() - started < 1.0
