"""Batched job endpoints over HTTP (in-process ASGI): claim several, post several results, heartbeat several."""

from __future__ import annotations

import pytest

from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import make_test_client as make_client
from tests.support.app_client import synthetic_result


@pytest.fixture
def client(database_url, tmp_path):
    with make_client(database_url, tmp_path) as test_client:
        yield test_client


def token(client, name) -> dict[str, str]:
    response = client.post("/api/tokens", json={"name": name, "role": "worker", "user": "admin"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['plaintext']}"}


def claim(client, headers, count):
    response = client.post("/api/jobs/claim-batch", json={"count": count}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["jobs"]


def item(job, a_outcome=1):
    return {"job_id": job["job_id"], **synthetic_result(job, a_outcome)}


def done_games(client) -> int:
    return sum(row["games"] for row in client.get("/api/leaderboard").json())


def test_several_jobs_are_claimed_reported_and_counted_once(client):
    worker = token(client, "w1")
    jobs = claim(client, worker, 5)
    assert len(jobs) == 5 and {job["worker"] for job in jobs} == {"w1"}
    beat = client.post("/api/jobs/heartbeats", json={"leases": [{"job_id": j["job_id"], "lease_id": j["lease_id"]}
                                                                 for j in jobs]}, headers=worker)
    assert beat.status_code == 200 and [o["status"] for o in beat.json()["outcomes"]] == [200] * 5
    body = {"results": [item(job) for job in jobs]}
    posted = client.post("/api/jobs/results", json=body, headers=worker)
    assert posted.status_code == 200, posted.text
    assert [(o["status"], o["duplicate"]) for o in posted.json()["outcomes"]] == [(200, False)] * 5
    assert done_games(client) == 2 * 5 * 4
    again = client.post("/api/jobs/results", json=body, headers=worker)
    assert [(o["status"], o["duplicate"]) for o in again.json()["outcomes"]] == [(200, True)] * 5
    assert done_games(client) == 2 * 5 * 4
    assert client.get("/api/jobs/stats").json()["counts"]["done"] == 5


def test_a_foreign_lease_in_a_batch_is_refused_alone(client):
    me, other = token(client, "me"), token(client, "other")
    mine, theirs = claim(client, me, 2), claim(client, other, 1)
    posted = client.post("/api/jobs/results", json={"results": [item(mine[0]), item(theirs[0]), item(mine[1])]},
                         headers=me)
    assert posted.status_code == 200
    assert [o["status"] for o in posted.json()["outcomes"]] == [200, 409, 200]
    assert client.get(f"/api/matches/{theirs[0]['job_id']}").json()["state"] == "leased"
    mine_later = client.post("/api/jobs/results", json={"results": [item(theirs[0])]}, headers=other)
    assert [o["status"] for o in mine_later.json()["outcomes"]] == [200]  # its holder still reports it


@pytest.mark.parametrize("path, body", [
    ("/api/jobs/claim-batch", {"count": 0}),
    ("/api/jobs/claim-batch", {"count": 65}),
    ("/api/jobs/claim-batch", {}),
    ("/api/jobs/claim-batch", {"count": "4"}),
    ("/api/jobs/results", {"results": []}),
    ("/api/jobs/results", {"results": "x"}),
    ("/api/jobs/heartbeats", {"leases": []}),
])
def test_malformed_batches_are_422_and_change_nothing(client, path, body):
    worker = token(client, "w1")
    held = claim(client, worker, 2)
    response = client.post(path, json=body, headers=worker)
    assert response.status_code == 422, response.text
    counts = client.get("/api/jobs/stats").json()["counts"]
    assert counts["leased"] == 2 and counts["done"] == 0 and len(held) == 2


def test_too_many_or_repeated_jobs_are_422_and_nothing_is_recorded(client):
    worker = token(client, "w1")
    jobs = claim(client, worker, 3)
    repeated = client.post("/api/jobs/results", json={"results": [item(jobs[0]), item(jobs[1]), item(jobs[0])]},
                           headers=worker)
    assert repeated.status_code == 422 and "more than once" in repeated.text
    too_many = client.post("/api/jobs/results", json={"results": [item(jobs[0])] * 65}, headers=worker)
    assert too_many.status_code == 422
    beats = client.post("/api/jobs/heartbeats", json={"leases": [{"job_id": jobs[0]["job_id"],
                                                                  "lease_id": jobs[0]["lease_id"]}] * 2},
                        headers=worker)
    assert beats.status_code == 422
    assert client.get("/api/jobs/stats").json()["counts"]["done"] == 0 and done_games(client) == 0


def test_batches_need_a_worker_token(client):
    assert client.post("/api/jobs/claim-batch", json={"count": 2}).status_code == 401
    assert client.post("/api/jobs/results", json={"results": []}).status_code == 401


@pytest.mark.parametrize("change", [{"winner": True}, {"forfeit_side": False}, {"winner": 1.0}, {"length": 4.0},
                                    {"index": "0"},
                                    {"surprise": 1}])
def test_a_game_report_of_the_wrong_json_type_or_with_unknown_fields_is_refused(client, change):
    worker = token(client, "w1")
    [job] = claim(client, worker, 1)
    single = synthetic_result(job)
    single["games"][0].update(change)
    one = client.post(f"/api/jobs/{job['job_id']}/result", json=single, headers=worker)
    batch = client.post("/api/jobs/results", json={"results": [{"job_id": job["job_id"], **single}]}, headers=worker)
    assert (one.status_code, batch.status_code) == (422, 422), (one.text, batch.text)
    assert client.get("/api/jobs/stats").json()["counts"]["done"] == 0 and done_games(client) == 0
