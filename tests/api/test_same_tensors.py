"""Identical tensors are one snapshot whatever the file's metadata, over HTTP (in-process ASGI).

A checkpoint re-saved with other safetensors metadata and another tensor order, and an ONNX file
re-exported with another producer and doc strings, answer 200 with the existing opponent,
`created: false` and a message naming it; other tensors are a new snapshot; a bad copy is refused.
"""

from __future__ import annotations

import onnx
import pytest
from safetensors.numpy import load, save

from tests.support import onnx_models
from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import debug_config, make_test_client, registration_files, weights_for


@pytest.fixture
def client(database_url, tmp_path):
    with make_test_client(database_url, tmp_path, placement_games=0) as test_client:
        yield test_client


def register(client, weights, *, kind="dreamer", config=None, agent="run", step=0, filename="w.safetensors"):
    meta = {"agent": agent, "kind": kind, "config": config if config is not None else {}, "step": step}
    return client.post("/api/opponents", files=registration_files(meta, weights, filename=filename), headers=ADMIN)


def resaved(weights: bytes, **metadata: str) -> bytes:
    """The same tensors written again, in reverse name order, with other metadata."""
    tensors = load(weights)
    return save(dict(reversed(sorted(tensors.items()))), metadata=metadata)


def total(client) -> int:
    return client.get("/api/opponents", params={"kind": "dreamer"}).json()["total"]


def test_a_resaved_checkpoint_is_the_existing_snapshot(client):
    config = debug_config()
    weights = weights_for(config, seed=1)
    first = register(client, weights, config=config)
    assert first.status_code == 201 and first.json()["created"] is True and first.json()["message"] == ""
    copy = resaved(weights, step="123", note="re-saved by hand")
    assert copy != weights
    again = register(client, copy, config=config, agent="copy-run", step=123)
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["created"] is False and body["id"] == first.json()["id"]
    assert "tensors equal" in body["message"] and first.json()["opponent"]["name"] in body["message"]
    assert body["sha256"] == first.json()["sha256"]  # the stored file is the first one
    same_file = register(client, weights, config=config, agent="third")
    assert same_file.status_code == 200 and "identical weights" in same_file.json()["message"]
    assert total(client) == 1
    assert client.get("/api/agents/copy-run").status_code == 404  # nothing was made for the copy


def test_other_tensors_are_a_new_snapshot_and_a_bad_copy_is_refused(client):
    config = debug_config()
    weights = weights_for(config, seed=2)
    assert register(client, weights, config=config).status_code == 201
    tensors = load(weights)
    name = sorted(tensors)[0]
    tensors[name] = tensors[name] + 1
    changed = register(client, save(tensors), config=config, step=1)
    assert changed.status_code == 201 and changed.json()["created"] is True
    tensors[name][...] = float("nan")
    refused = register(client, save(tensors, metadata={"x": "y"}), config=config, step=2)
    assert refused.status_code == 422 and "NaN" in refused.json()["detail"]
    assert total(client) == 2


def test_a_reexported_onnx_file_is_the_existing_snapshot(client):
    data = onnx_models.mlp_bytes(hidden=16, seed=3)
    model = onnx.load_from_string(data)
    model.producer_name, model.producer_version, model.doc_string = "another exporter", "9.9", "re-exported"
    model.graph.name = "renamed"
    onnx.helper.set_model_props(model, {"author": "someone else"})
    for node in model.graph.node:
        node.name = f"renamed_{node.name}"
    copy = model.SerializeToString()
    assert copy != data
    first = register(client, data, kind="onnx", filename="p.onnx")
    assert first.status_code == 201, first.text
    again = register(client, copy, kind="onnx", agent="other", filename="p.onnx")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert "tensors equal" in again.json()["message"]
    other = register(client, onnx_models.mlp_bytes(hidden=16, seed=4), kind="onnx", filename="p.onnx")
    assert other.status_code == 201
