"""`POST /api/jobs/{id}/release` over HTTP (in-process ASGI): a worker gives its job back at once."""

from __future__ import annotations

import pytest

from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import make_test_client, synthetic_result


@pytest.fixture
def client(database_url, tmp_path):
    with make_test_client(database_url, tmp_path, queue_target=1) as test_client:
        yield test_client


def worker_token(client) -> dict[str, str]:
    made = client.post("/api/tokens", json={"name": "w", "role": "worker"}, headers=ADMIN).json()
    return {"Authorization": f"Bearer {made['plaintext']}"}


def test_a_released_job_is_handed_out_again_at_once(client):
    worker = worker_token(client)
    job = client.post("/api/jobs/claim", json={"worker": "w1"}, headers=worker).json()["job"]
    released = client.post(f"/api/jobs/{job['job_id']}/release", json={"worker": "w1", "lease_id": job["lease_id"]},
                           headers=worker)
    assert released.status_code == 200, released.text
    assert (released.json()["state"], released.json()["attempts"], released.json()["worker"]) == ("queued", 0, None)
    again = client.post("/api/jobs/claim", json={"worker": "w2"}, headers=worker).json()["job"]
    assert again["job_id"] == job["job_id"] and again["attempt"] == 1
    stale = client.post(f"/api/jobs/{job['job_id']}/result", json=synthetic_result(job), headers=worker)
    assert stale.status_code == 409
    done = client.post(f"/api/jobs/{job['job_id']}/result", json=synthetic_result(again), headers=worker)
    assert done.status_code == 200


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"worker": "w2", "lease_id": "LEASE"}, 409, "not leased to worker 'w2'"),
    ({"worker": "w1", "lease_id": "f" * 32}, 409, "has ended"),
    ({"worker": "w1"}, 422, "lease_id"),
    ({"worker": "w1", "lease_id": "LEASE", "extra": 1}, 422, "extra"),
])
def test_a_release_without_the_lease_is_refused(client, body, status, words):
    worker = worker_token(client)
    job = client.post("/api/jobs/claim", json={"worker": "w1"}, headers=worker).json()["job"]
    body = {k: (job["lease_id"] if v == "LEASE" else v) for k, v in body.items()}
    answer = client.post(f"/api/jobs/{job['job_id']}/release", json=body, headers=worker)
    assert answer.status_code == status and words in answer.text
    assert client.get(f"/api/matches/{job['job_id']}").json()["state"] == "leased"


def test_releasing_needs_a_worker_token(client):
    job = client.post("/api/jobs/claim", json={"worker": "w1"}, headers=ADMIN).json()["job"]
    body = {"worker": "w1", "lease_id": job["lease_id"]}
    assert client.post(f"/api/jobs/{job['job_id']}/release", json=body).status_code == 401
    trainer = client.post("/api/tokens", json={"name": "t", "role": "trainer"}, headers=ADMIN).json()["plaintext"]
    refused = client.post(f"/api/jobs/{job['job_id']}/release", json=body, headers={"Authorization": f"Bearer {trainer}"})
    assert refused.status_code == 403
    assert client.post("/api/jobs/999/release", json=body, headers=ADMIN).status_code == 404


def test_a_result_without_a_worker_for_a_job_nobody_holds_is_409(client):
    job = client.post("/api/jobs/claim", json={"worker": "w1"}, headers=ADMIN).json()["job"]
    client.post(f"/api/jobs/{job['job_id']}/release", json={"worker": "w1", "lease_id": job["lease_id"]}, headers=ADMIN)
    answer = client.post(f"/api/jobs/{job['job_id']}/result", json=synthetic_result(job), headers=ADMIN)
    assert answer.status_code == 409
    assert answer.json()["detail"] == f"job {job['job_id']} is not leased to anyone (it is queued)"
