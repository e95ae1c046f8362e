"""Small holes, over HTTP (in-process ASGI): the bootstrap admin retired without a restart, lineage
names with `/` in the metrics path, ids in ASCII digits only, one `meta` part per registration, and
lease ids never in public reads."""

from __future__ import annotations

import json

import pytest

from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import make_test_client, registration_files
from tests.support.league_helpers import TINY_CONFIG, tiny_weights

ARABIC_ONE = "\u0661"  # '١', ARABIC-INDIC DIGIT ONE: str.isdigit() is True and int() reads it as 1


@pytest.fixture
def client(database_url, tmp_path):
    with make_test_client(database_url, tmp_path, placement_games=0) as test_client:
        yield test_client


def test_the_bootstrap_admin_is_retired_at_once_without_a_restart(client):
    listed = client.get("/api/tokens", headers=ADMIN).json()
    [boot] = [t for t in listed if t["prefix"] == "(settings)"]
    assert boot["role"] == "admin" and boot["user"] == "admin"
    last = client.post(f"/api/tokens/{boot['id']}/revoke", headers=ADMIN)
    assert last.status_code == 409 and "last active admin token" in last.json()["detail"]
    made = client.post("/api/tokens", json={"name": "real admin", "role": "admin", "user": "admin"}, headers=ADMIN)
    real = {"Authorization": f"Bearer {made.json()['plaintext']}"}
    assert client.post(f"/api/tokens/{boot['id']}/revoke", headers=real).status_code == 200
    refused = client.get("/api/tokens", headers=ADMIN)  # the same server, LEAGUE_ADMIN_TOKEN still set
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert client.get("/api/tokens", headers=real).status_code == 200


def test_a_lineage_with_a_slash_in_its_name_has_reachable_metrics(client):
    batch = {"metrics": [{"step": 1, "values": {"loss": 0.5}}]}
    stored = client.post("/api/agents/team%2Frun-1/metrics", json=batch, headers=ADMIN)
    assert stored.status_code == 201, stored.text
    for path in ("/api/agents/team%2Frun-1/metrics", "/api/agents/team/run-1/metrics"):
        points = client.get(path)
        assert points.status_code == 200 and [p["value"] for p in points.json()] == [0.5], path
    assert client.get("/api/opponents", params={"agent": "team/run-1"}).json()["total"] == 0  # metrics only
    assert client.get("/api/agents/team/other/metrics").status_code == 404


@pytest.mark.parametrize("path", [f"/opponents/{ARABIC_ONE}", f"/matches/{ARABIC_ONE}", f"/agents/{ARABIC_ONE}",
                                  f"/opponents/1{ARABIC_ONE}", f"/opponents/{ARABIC_ONE}/vs/2"])
def test_pages_take_ids_in_ascii_digits_only(client, path):
    answer = client.get(path)
    assert answer.status_code == 404, (path, answer.status_code)
    assert "basic_" not in answer.text.split("<main", 1)[-1].split("</main>")[0]  # not opponent 1's page


def test_query_ids_and_api_ids_take_ascii_digits_only(client):
    assert client.get("/opponents/1").status_code == 200  # what the digit would have shown
    assert client.get("/matches", params={"opponent": ARABIC_ONE}).status_code == 400
    assert client.get("/matches", params={"offset": ARABIC_ONE}).status_code == 400
    assert client.get(f"/api/opponents/{ARABIC_ONE}").status_code in (404, 422)
    assert client.get("/api/matches", params={"opponent": ARABIC_ONE}).status_code == 422
    assert client.get("/api/opponents/sample", params={"learner": ARABIC_ONE}).status_code == 422


def test_a_registration_with_two_meta_parts_is_refused(client):
    weights = tiny_weights()
    first = {"agent": "run-a", "kind": "dreamer", "config": TINY_CONFIG, "step": 1}
    second = {**first, "agent": "run-b"}
    parts = [("meta", (None, json.dumps(first), "application/json")),
             ("meta", (None, json.dumps(second), "application/json")),
             ("weights", ("w.safetensors", weights, "application/octet-stream"))]
    refused = client.post("/api/opponents", files=parts, headers=ADMIN)
    assert refused.status_code == 422 and "one `meta` part" in refused.json()["detail"]
    two_weights = [parts[0], parts[2], ("weights", ("x.safetensors", tiny_weights(), "application/octet-stream"))]
    assert client.post("/api/opponents", files=two_weights, headers=ADMIN).status_code == 422
    extra = [parts[0], parts[2], ("notes", (None, "x", "text/plain"))]
    assert client.post("/api/opponents", files=extra, headers=ADMIN).status_code == 422
    assert client.get("/api/opponents", params={"kind": "dreamer"}).json()["total"] == 0  # nothing stored
    assert client.post("/api/opponents", files=registration_files(first, weights), headers=ADMIN).status_code == 201


def test_lease_ids_are_never_in_public_reads(client):
    made = client.post("/api/tokens", json={"name": "w1", "role": "worker", "user": "admin"}, headers=ADMIN).json()
    worker = {"Authorization": f"Bearer {made['plaintext']}"}
    job = client.post("/api/jobs/claim", headers=worker).json()["job"]
    lease = job["lease_id"]
    for path in (f"/api/matches/{job['job_id']}", "/api/matches", "/api/jobs/stats", f"/matches/{job['job_id']}",
                 "/matches", "/"):
        answer = client.get(path)
        assert answer.status_code == 200 and lease not in answer.text and "lease_id" not in answer.text, path
    no_lease = client.post(f"/api/jobs/{job['job_id']}/heartbeat", json={}, headers=worker)
    assert no_lease.status_code == 422 and lease not in no_lease.text  # a heartbeat names its lease
