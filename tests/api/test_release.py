"""`POST /api/jobs/{id}/release` over HTTP (in-process ASGI): a worker gives its job back at once."""

from __future__ import annotations

import pytest

from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import make_test_client, synthetic_result


@pytest.fixture
def client(database_url, tmp_path):
    with make_test_client(database_url, tmp_path, queue_target=1) as test_client:
        yield test_client


def worker_token(client, name="w1") -> dict[str, str]:
    made = client.post("/api/tokens", json={"name": name, "role": "worker", "user": "admin"}, headers=ADMIN).json()
    return {"Authorization": f"Bearer {made['plaintext']}"}


def test_a_released_job_is_handed_out_again_at_once(client):
    worker = worker_token(client)
    job = client.post("/api/jobs/claim", headers=worker).json()["job"]
    released = client.post(f"/api/jobs/{job['job_id']}/release", json={"lease_id": job["lease_id"]}, headers=worker)
    assert released.status_code == 200, released.text
    assert (released.json()["state"], released.json()["attempts"], released.json()["worker"]) == ("queued", 0, None)
    again = client.post("/api/jobs/claim", headers=worker).json()["job"]
    assert again["job_id"] == job["job_id"] and again["attempt"] == 1
    stale = client.post(f"/api/jobs/{job['job_id']}/result", json=synthetic_result(job), headers=worker)
    assert stale.status_code == 409
    done = client.post(f"/api/jobs/{job['job_id']}/result", json=synthetic_result(again), headers=worker)
    assert done.status_code == 200


@pytest.mark.parametrize(("body", "other", "status", "words"), [
    ({"lease_id": "LEASE"}, True, 409, "not leased to worker 'w2'"),  # the lease of another worker's token
    ({"lease_id": "f" * 32}, False, 409, "has ended"),
    ({}, False, 422, "lease_id"),
    ({"lease_id": "LEASE", "worker": "w1"}, True, 422, "extra"),  # the worker is the token, never a field
])
def test_a_release_without_the_lease_is_refused(client, body, other, status, words):
    worker = worker_token(client)
    job = client.post("/api/jobs/claim", headers=worker).json()["job"]
    body = {k: (job["lease_id"] if v == "LEASE" else v) for k, v in body.items()}
    caller = worker_token(client, "w2") if other else worker
    answer = client.post(f"/api/jobs/{job['job_id']}/release", json=body, headers=caller)
    assert answer.status_code == status and words in answer.text
    assert client.get(f"/api/matches/{job['job_id']}").json()["state"] == "leased"


def test_releasing_needs_a_worker_token(client):
    job = client.post("/api/jobs/claim", headers=ADMIN).json()["job"]
    body = {"lease_id": job["lease_id"]}
    assert client.post(f"/api/jobs/{job['job_id']}/release", json=body).status_code == 401
    trainer = client.post("/api/tokens", json={"name": "t", "role": "trainer", "user": "admin"},
                          headers=ADMIN).json()["plaintext"]
    refused = client.post(f"/api/jobs/{job['job_id']}/release", json=body, headers={"Authorization": f"Bearer {trainer}"})
    assert refused.status_code == 403
    assert client.post("/api/jobs/999/release", json=body, headers=ADMIN).status_code == 404


def test_a_result_for_a_released_job_is_409(client):
    job = client.post("/api/jobs/claim", headers=ADMIN).json()["job"]
    client.post(f"/api/jobs/{job['job_id']}/release", json={"lease_id": job["lease_id"]}, headers=ADMIN)
    answer = client.post(f"/api/jobs/{job['job_id']}/result", json=synthetic_result(job), headers=ADMIN)
    assert answer.status_code == 409
    assert "is not leased to worker" in answer.json()["detail"] and "(it is queued)" in answer.json()["detail"]
