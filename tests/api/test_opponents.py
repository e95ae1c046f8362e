"""The opponent pool over HTTP (in-process ASGI, real SQLite file): register, list, fetch, retire."""

from __future__ import annotations

import hashlib
import json
import pickle
import warnings

import numpy as np
import pytest
from safetensors.numpy import save

from api.app import create_app
from league.core import kinds
from league.core.errors import InvalidWeights
from league.core.kinds import PolicyKind, ValidatedWeights
from league.core.settings import Settings
from tests.support.app_client import debug_config, registration_files, weights_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADMIN = "admin-secret-for-tests-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(data_dir=tmp_path, admin_token=ADMIN, upload_max_bytes=2_000_000))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def config():
    return debug_config()


def meta(config, agent="run-a", step=100, **extra):
    return {"agent": agent, "kind": "dreamer", "config": config, "step": step, "notes": "test", **extra}


def register(client, config, weights, headers=AUTH, **meta_extra):
    return client.post("/api/opponents", files=registration_files(meta(config, **meta_extra), weights),
                       headers=headers)


def test_register_list_get_and_fetch_weights_byte_for_byte(client, config):
    weights = weights_for(config, seed=1)
    response = register(client, config, weights)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True
    assert body["sha256"] == hashlib.sha256(weights).hexdigest()
    opponent_id = body["id"]

    listing = client.get("/api/opponents", params={"agent": "run-a"}).json()
    assert [item["id"] for item in listing["items"]] == [opponent_id] and listing["total"] == 1
    assert client.get("/api/opponents", params={"kind": "basic_weak"}).json()["total"] == 1

    detail = client.get(f"/api/opponents/{opponent_id}").json()
    assert detail["name"] == "run-a@100" and detail["config"] == config
    assert detail["provisional"] is True and detail["games"] == 0 and detail["sigma"] > 0
    assert (detail["wins"], detail["draws"], detail["losses"]) == (0, 0, 0)

    fetched = client.get(f"/api/opponents/{opponent_id}/weights")
    assert fetched.status_code == 200 and fetched.content == weights
    assert fetched.headers["etag"] == f'"{body["sha256"]}"'
    cached = client.get(f"/api/opponents/{opponent_id}/weights", headers={"If-None-Match": fetched.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""
    stale = client.get(f"/api/opponents/{opponent_id}/weights", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.content == weights


def test_identical_weights_return_the_existing_opponent(client, config):
    weights = weights_for(config, seed=2)
    first = register(client, config, weights)
    again = register(client, config, weights, step=200, agent="other-run")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert client.get("/api/opponents", params={"kind": "dreamer"}).json()["total"] == 1


def test_registration_needs_a_trainer_or_admin_token(client, config):
    weights = weights_for(config, seed=3)
    assert register(client, config, weights, headers={}).status_code == 401
    refused = register(client, config, weights, headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401 and "not valid" in refused.json()["detail"]
    assert client.get("/api/opponents", params={"kind": "dreamer"}).json()["total"] == 0


def test_retire_and_reactivate(client, config):
    opponent_id = register(client, config, weights_for(config, seed=4)).json()["id"]
    assert client.patch(f"/api/opponents/{opponent_id}", json={"active": False}).status_code == 401
    retired = client.patch(f"/api/opponents/{opponent_id}", json={"active": False}, headers=AUTH)
    assert retired.status_code == 200 and retired.json()["active"] is False
    assert opponent_id not in [row["snapshot_id"] for row in client.get("/api/leaderboard").json()]
    assert client.get(f"/api/opponents/{opponent_id}").json()["rank"] is None
    assert client.get("/api/opponents", params={"active": "false"}).json()["total"] == 1
    client.patch(f"/api/opponents/{opponent_id}", json={"active": True}, headers=AUTH)
    assert opponent_id in [row["snapshot_id"] for row in client.get("/api/leaderboard").json()]
    bad = client.patch(f"/api/opponents/{opponent_id}", json={"active": "maybe"}, headers=AUTH)
    assert bad.status_code == 422 and "active" in bad.json()["detail"]


def test_a_pickle_that_runs_code_on_load_is_refused_and_never_run(client, config, tmp_path):
    marker = tmp_path / "pwned"

    class RunsCode:
        def __reduce__(self):
            return (open, (str(marker), "w"))  # loading this pickle would create the marker file

    payload = pickle.dumps({"encoder.weight": RunsCode()}, protocol=4)
    response = register(client, config, payload)
    assert response.status_code == 415
    assert "pickle" in response.json()["detail"]
    assert not marker.exists()
    assert client.get("/api/opponents", params={"kind": "dreamer"}).json()["total"] == 0


def _bad_uploads(config):
    good = weights_for(config, seed=5)
    from agents.checkpoint import expected_tensor_specs

    specs = expected_tensor_specs(config)
    first_name, (first_dtype, first_shape) = next(iter(specs.items()))
    wrong_shape = dict(specs, **{first_name: (first_dtype, (*first_shape, 2))})
    nan_tensors = {name: np.zeros(shape, np.float32) for name, (dtype, shape) in specs.items()}
    nan_tensors[first_name].flat[0] = np.nan
    header_len = int.from_bytes(good[:8], "little")
    header = json.loads(good[8 : 8 + header_len])
    header[first_name]["shape"] = [s + 1 for s in header[first_name]["shape"]]
    lying_header = json.dumps(header).encode()
    lying = len(lying_header).to_bytes(8, "little") + lying_header + good[8 + header_len :]
    return {
        "truncated": (good[: len(good) // 2], 422, "truncated"),
        "zip": (b"PK\x03\x04" + bytes(100), 415, "zip"),
        "lying header": (lying, 422, "lies"),
        "wrong shapes": (weights_for(config, specs=wrong_shape), 422, "config needs"),
        "NaN weights": (save(nan_tensors), 422, "NaN"),
        "empty": (b"", 422, "empty"),
        "not a file format at all": (b"hello world, these are not weights", 422, "safetensors"),
    }


@pytest.mark.parametrize(
    "case", ["truncated", "zip", "lying header", "wrong shapes", "NaN weights", "empty", "not a file format at all"]
)
def test_each_bad_upload_is_refused_with_a_clear_message_and_nothing_stored(client, config, case):
    data, status, words = _bad_uploads(config)[case]
    response = register(client, config, data)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert client.get("/api/opponents", params={"kind": "dreamer"}).json()["total"] == 0


def test_an_upload_over_the_cap_is_refused_with_413(client, config):
    response = register(client, config, bytes(2_500_000))
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    huge = register(client, config, bytes(5_000_000))
    assert huge.status_code == 413


@pytest.mark.parametrize(
    ("meta_text", "words"),
    [
        ("not json", "meta"),
        ('{"agent": "a", "config": {}, "step": -1}', "step"),
        ('{"agent": "", "config": {}, "step": 1}', "agent"),
        ('{"agent": "a\\nb", "config": {}, "step": 1}', "agent"),
        ('{"agent": "a", "config": {}, "step": 1, "kind": "basic_weak"}', "kind"),
        ('{"agent": "a", "config": {}, "step": 1, "colour": "red"}', "colour"),
        ('[1, 2]', "meta"),
    ],
)
def test_bad_metadata_is_refused_with_422(client, config, meta_text, words):
    files = {"meta": (None, meta_text), "weights": ("w.safetensors", weights_for(config), "application/octet-stream")}
    response = client.post("/api/opponents", files=files, headers=AUTH)
    assert response.status_code == 422 and words in response.json()["detail"]


def test_an_invalid_config_is_refused_with_the_agents_message(client, config):
    response = register(client, {**config, "hidden": 0}, weights_for(config))
    assert response.status_code == 422 and "invalid config" in response.json()["detail"]
    assert "hidden" in response.json()["detail"]


def test_missing_parts_and_bad_ids_are_422_or_404_never_500(client):
    assert client.post("/api/opponents", headers=AUTH).status_code == 422
    assert client.post("/api/opponents", headers=AUTH, files={"meta": (None, "{}")}).status_code == 422
    for path, status in [("/api/opponents/0", 422), ("/api/opponents/abc", 404), ("/api/opponents/999", 404),
                         (f"/api/opponents/{2**70}", 422), ("/api/opponents/1/weights", 404),
                         ("/api/opponents/999/ratings", 404)]:
        response = client.get(path)
        assert response.status_code == status, path
        assert isinstance(response.json()["detail"], str)
    for params in [{"limit": 0}, {"limit": 10_000}, {"offset": -1}, {"kind": "wizard"}, {"active": "perhaps"}]:
        assert client.get("/api/opponents", params=params).status_code == 422
    assert client.get("/api/opponents", params={"agent": "nobody"}).status_code == 404
    unknown = client.get("/api/opponents", params={"kind": "wizard"}).json()["detail"]
    assert unknown == f"unknown kind 'wizard'; the known kinds are {', '.join(sorted(kinds.KINDS))}"


def test_pagination_windows_the_listing(client, config):
    ids = [register(client, config, weights_for(config, seed=10 + i), step=i).json()["id"] for i in range(3)]
    page = client.get("/api/opponents", params={"kind": "dreamer", "limit": 2, "offset": 1}).json()
    assert page["total"] == 3 and [item["id"] for item in page["items"]] == sorted(ids, reverse=True)[1:]


def test_a_kind_added_to_the_registry_is_registered_over_http_with_no_other_change(client, monkeypatch):
    def validate(data: bytes, config: dict) -> ValidatedWeights:
        if not data.startswith(b"FIXED"):
            raise InvalidWeights("a fixed policy starts with FIXED")
        return ValidatedWeights(data=data, sha256=hashlib.sha256(data).hexdigest())

    monkeypatch.setitem(kinds.KINDS, "fixed", PolicyKind(name="fixed", has_weights=True, registrable=True,
                                                         validate=validate, make_policy=lambda *a, **k: None))
    body = {"agent": "fixed-run", "kind": "fixed", "config": {}, "step": 1}
    refused = client.post("/api/opponents", files=registration_files(body, b"other"), headers=AUTH)
    assert refused.status_code == 422 and refused.json()["detail"] == "a fixed policy starts with FIXED"
    response = client.post("/api/opponents", files=registration_files(body, b"FIXED 1"), headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["opponent"]["kind"] == "fixed"
    assert client.get("/api/opponents", params={"kind": "fixed"}).json()["total"] == 1
