"""Uploading as a newcomer does it: `meta` as a file part (`curl -F meta=@meta.json`), the wrong file
as weights, a token of another league, and the upload page of the dashboard."""

from __future__ import annotations

import json
import warnings

import pytest

from api.app import create_app
from league.core.settings import Settings
from tests.support.app_client import debug_config, weights_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADMIN = "upload-help-admin-token-0123456789abcdefghijklmnop"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(data_dir=tmp_path, admin_token=ADMIN, upload_max_bytes=2_000_000))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def meta():
    return {"agent": "curl-run", "kind": "dreamer", "config": debug_config(), "step": 7, "notes": ""}


def test_meta_may_be_a_file_part(client, meta):
    files = {"meta": ("meta.json", json.dumps(meta).encode(), "application/octet-stream"),
             "weights": ("w.safetensors", weights_for(meta["config"], seed=3), "application/octet-stream")}
    response = client.post("/api/opponents", files=files, headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["opponent"]["name"] == "curl-run@7"


def test_meta_as_a_string_field_still_works(client, meta):
    files = {"meta": (None, json.dumps(meta)),
             "weights": ("w.safetensors", weights_for(meta["config"], seed=4), "application/octet-stream")}
    assert client.post("/api/opponents", files=files, headers=AUTH).status_code == 201


def test_a_meta_file_that_is_not_json_is_refused_with_its_reason(client, meta):
    files = {"meta": ("meta.json", b"\xff\xfe not text", "application/octet-stream"),
             "weights": ("w.safetensors", weights_for(meta["config"], seed=5), "application/octet-stream")}
    response = client.post("/api/opponents", files=files, headers=AUTH)
    assert response.status_code == 422 and "not UTF-8 text" in response.json()["detail"]


@pytest.mark.parametrize("weights, status", [
    (b'{\n  "kind": "dreamer",\n  "config": {"hidden": 256}\n}\n', 415),  # the checkpoint's .json, as weights
    (b"# my agent\n\nThis is a README, not weights.\n" * 3, 422),  # any other text
])
def test_a_file_that_is_not_safetensors_says_so(client, meta, weights, status):
    files = {"meta": (None, json.dumps(meta)), "weights": ("dreamer.json", weights, "application/json")}
    response = client.post("/api/opponents", files=files, headers=AUTH)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith("not a safetensors file"), response.text


def test_an_unknown_token_names_the_league_that_answered(client, tmp_path, meta):
    response = client.get("/api/tokens", headers={"Authorization": "Bearer lg_made-for-another-league"})
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "unknown token" in detail
    assert "the league at http://testserver/" in detail and f"data directory {tmp_path.resolve()}" in detail


def test_the_upload_page_is_a_form_that_keeps_no_token(client):
    page = client.get("/upload")
    assert page.status_code == 200
    html = page.text
    assert 'id="upload-form" autocomplete="off"' in html
    assert 'id="upload-token" name="token" type="password" autocomplete="off"' in html
    assert "/static/js/upload.js" in html and '<option value="dreamer" selected>' in html
    script = client.get("/static/js/upload.js").text
    assert "localStorage" not in script and "sessionStorage" not in script and "document.cookie" not in script
    assert 'href="/upload"' in client.get("/").text  # linked from the navigation
