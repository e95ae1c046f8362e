"""Workers over HTTP (in-process ASGI): claim, heartbeat, report; tokens by role; matches and games."""

from __future__ import annotations

import json

import pytest

from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import make_test_client as make_client
from tests.support.app_client import synthetic_result


@pytest.fixture
def client(database_url, tmp_path):
    with make_client(database_url, tmp_path) as test_client:
        yield test_client


def token(client, role, name=None, user="admin") -> dict[str, str]:
    response = client.post("/api/tokens", json={"name": name or f"{role}-1", "role": role, "user": user},
                           headers=ADMIN)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['plaintext']}"}


def claim(client, headers):
    response = client.post("/api/jobs/claim", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["job"]


def test_a_claimed_job_reported_changes_the_leaderboard_once(client):
    worker = token(client, "worker", "w1")
    before = {row["name"]: row for row in client.get("/api/leaderboard").json()}
    job = claim(client, worker)
    assert job["worker"] == "w1" and job["lease_id"] and len(job["games"]) == 4  # the token's name
    assert {job["snapshot_a"]["kind"], job["snapshot_b"]["kind"]} == {"basic_weak", "basic_strong"}
    beat = client.post(f"/api/jobs/{job['job_id']}/heartbeat", json={"lease_id": job["lease_id"]}, headers=worker)
    assert beat.status_code == 200 and beat.json()["lease_expires_at"] >= job["lease_expires_at"]

    result = synthetic_result(job, a_outcome=1)
    reported = client.post(f"/api/jobs/{job['job_id']}/result", json=result, headers=worker)
    assert reported.status_code == 200, reported.text
    assert reported.json()["duplicate"] is False and reported.json()["match"]["state"] == "done"

    after = {row["name"]: row for row in client.get("/api/leaderboard").json()}
    winner, loser = job["snapshot_a"]["name"], job["snapshot_b"]["name"]
    assert after[winner]["wins"] == 4 and after[loser]["losses"] == 4
    assert after[winner]["mu"] > before[winner]["mu"] and after[loser]["mu"] < before[loser]["mu"]
    assert client.get("/api/leaderboard").json()[0]["name"] == winner

    again = client.post(f"/api/jobs/{job['job_id']}/result", json=result, headers=worker)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert {row["name"]: row["games"] for row in client.get("/api/leaderboard").json()}[winner] == 4

    detail = client.get(f"/api/matches/{job['job_id']}").json()
    assert detail["state"] == "done" and [g["result_a"] for g in detail["games"]] == ["win"] * 4
    game_id = detail["games"][0]["id"]
    assert client.get(f"/api/games/{game_id}").json()["match_id"] == job["job_id"]
    record = client.get(f"/api/games/{game_id}/record")
    assert record.status_code == 200 and record.json()["seed"] == job["games"][0]["seed"]
    history = client.get(f"/api/opponents/{job['snapshot_a']['id']}/ratings").json()
    assert len(history) == 4 and history[-1]["mu_after"] == after[winner]["mu"]
    pairs = client.get("/api/head-to-head").json()
    assert len(pairs) == 1 and pairs[0]["games"] == 4
    one = client.get("/api/head-to-head", params={"opponent": job["snapshot_b"]["id"],
                                                   "other": job["snapshot_a"]["id"]}).json()
    assert (one[0]["a_wins"], one[0]["b_wins"]) == (0, 4)


def test_results_of_a_job_not_leased_to_the_caller_are_refused(client):
    first, second = token(client, "worker", "first"), token(client, "worker", "second")
    job = claim(client, first)
    other = claim(client, second)
    assert other["job_id"] != job["job_id"]
    stolen = synthetic_result(job) | {"lease_id": other["lease_id"]}
    refused = client.post(f"/api/jobs/{job['job_id']}/result", json=stolen, headers=second)
    assert refused.status_code == 409 and "lease" in refused.json()["detail"]
    spoofed = synthetic_result(job) | {"worker": "first"}  # naming the holder is no longer a field
    assert client.post(f"/api/jobs/{job['job_id']}/result", json=spoofed, headers=second).status_code == 422
    named = client.post(f"/api/jobs/{job['job_id']}/result", json=synthetic_result(job), headers=second)
    assert named.status_code == 409 and "not leased to worker 'second'" in named.json()["detail"]
    assert client.get(f"/api/matches/{job['job_id']}").json()["state"] == "leased"
    lost = client.post(f"/api/jobs/{job['job_id']}/heartbeat", json={"lease_id": job["lease_id"]}, headers=second)
    assert lost.status_code == 409 and job["lease_id"] not in lost.text


def test_jobs_need_a_worker_token(client):
    assert client.post("/api/jobs/claim").status_code == 401
    trainer = token(client, "trainer")
    forbidden = client.post("/api/jobs/claim", headers=trainer)
    assert forbidden.status_code == 403 and "trainer" in forbidden.json()["detail"]
    assert client.post("/api/jobs/1/result", json={"lease_id": "x", "games": []}).status_code == 401


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r.update(games=r["games"][:2]), "4 games"),
        (lambda r: r["games"][0].update(end_reason="time_limit"), "does not fit winner"),
        (lambda r: r["games"][0].update(winner=7), "winner"),
        (lambda r: r["games"][1].update(index=0), "indices"),
        (lambda r: r.pop("lease_id"), "lease_id"),
        (lambda r: r.update(extra=1), "extra"),
        (lambda r: r["games"][0].update(length=-5), "length"),
    ],
)
def test_malformed_results_are_422_and_change_nothing(client, change, words):
    worker = token(client, "worker")
    job = claim(client, worker)
    result = synthetic_result(job)
    change(result)
    response = client.post(f"/api/jobs/{job['job_id']}/result", json=result, headers=worker)
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
    assert client.get(f"/api/matches/{job['job_id']}").json()["state"] == "leased"
    assert all(row["games"] == 0 for row in client.get("/api/leaderboard").json())


def test_malformed_requests_never_get_a_5xx(client):
    worker = token(client, "worker")
    cases = [
        ("post", "/api/jobs/claim", {"content": b"{not json", "headers": worker | {"content-type": "application/json"}}),
        ("post", "/api/jobs/claim", {"json": {"worker": "w1"}, "headers": worker}),  # the worker is the token
        ("post", "/api/jobs/0/heartbeat", {"json": {"lease_id": "x"}, "headers": worker}),
        ("post", "/api/jobs/1/heartbeat", {"json": {}, "headers": worker}),
        ("post", "/api/jobs/1/heartbeat", {"json": {"lease_id": "x", "worker": "w"}, "headers": worker}),
        ("post", f"/api/jobs/{2**64}/result", {"json": {"lease_id": "x", "games": []}, "headers": worker}),
        ("post", "/api/jobs/999/result", {"json": {"lease_id": "x", "games": []}, "headers": worker}),
        ("get", "/api/matches", {"params": {"state": "sleeping"}}),
        ("get", "/api/matches", {"params": {"limit": "many"}}),
        ("get", "/api/matches/999", {}),
        ("get", "/api/games/999/record", {}),
        ("get", "/api/opponents/sample", {"params": {"learner": 1, "strategy": "best"}}),
        ("get", "/api/opponents/sample", {"params": {"learner": 999}}),
        ("get", "/api/nowhere", {}),
        ("delete", "/api/leaderboard", {}),
        ("post", "/api/tokens", {"json": {"name": "x", "role": "emperor", "user": "admin"}, "headers": ADMIN}),
        ("post", "/api/tokens", {"json": {"name": "x", "role": "worker"}, "headers": ADMIN}),
        ("post", "/api/tokens", {"json": {"name": "x", "role": "worker", "user": "nobody"}, "headers": ADMIN}),
        ("post", "/api/tokens/999/revoke", {"headers": ADMIN}),
        ("post", "/api/agents/run/metrics", {"json": {"metrics": [{"step": 1, "values": {"loss": "nan"}}]},
                                              "headers": ADMIN}),
    ]
    for method, path, kwargs in cases:
        response = getattr(client, method)(path, **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.status_code, response.text)
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]


def test_an_empty_queue_answers_job_null(database_url, tmp_path):
    with make_client(database_url, tmp_path, queue_target=0, placement_games=0) as client:
        assert claim(client, token(client, "worker")) is None


def test_sampling_opponents_for_a_learner(client):
    response = client.get("/api/opponents/sample", params={"learner": 1, "n": 5, "strategy": "uniform"})
    assert response.status_code == 200, response.text
    choices = response.json()
    assert len(choices) == 5 and {c["snapshot"]["id"] for c in choices} <= {1, 2}
    assert all(c["snapshot"]["id"] != 1 or c["source"] == "latest_self" for c in choices)


def test_tokens_list_revoke_and_rotate(client):
    created = client.post("/api/tokens", json={"name": "host-a", "role": "worker", "user": "admin"},
                          headers=ADMIN).json()
    headers = {"Authorization": f"Bearer {created['plaintext']}"}
    assert claim(client, headers) is not None
    listed = client.get("/api/tokens", headers=ADMIN).json()
    assert [t["name"] for t in listed][1:] == ["host-a"] and "plaintext" not in listed[1]
    assert listed[0]["prefix"] == "(settings)" and listed[0]["user"] == "admin"  # the bootstrap admin
    assert client.get("/api/tokens", headers=headers).status_code == 403
    rotated = client.post(f"/api/tokens/{created['token']['id']}/rotate", headers=ADMIN)
    assert rotated.status_code == 200
    assert client.post("/api/jobs/claim", headers=headers).status_code == 401
    new_headers = {"Authorization": f"Bearer {rotated.json()['plaintext']}"}
    assert client.post("/api/jobs/claim", headers=new_headers).status_code == 200
    revoked = client.post(f"/api/tokens/{rotated.json()['token']['id']}/revoke", headers=ADMIN)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = client.post("/api/jobs/claim", headers=new_headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_training_metrics_round_trip(client):
    trainer = token(client, "trainer")
    batches = [{"step": step, "values": {"loss": 1.0 / step, "return": float(step)}} for step in (1, 2, 3)]
    assert client.post("/api/agents/run-a/metrics", json={"metrics": batches}).status_code == 401
    stored = client.post("/api/agents/run-a/metrics", json={"metrics": batches}, headers=trainer)
    assert stored.status_code == 201 and stored.json()["stored"] == 6
    points = client.get("/api/agents/run-a/metrics", params={"name": "loss", "since_step": 2}).json()
    assert [(p["step"], p["value"]) for p in points] == [(2, 0.5), (3, 1.0 / 3)]
    assert client.get("/api/agents/nobody/metrics").status_code == 404


def test_admin_queues_a_match(client):
    assert client.post("/api/matches", json={"snapshot_a_id": 1, "snapshot_b_id": 2}).status_code == 401
    queued = client.post("/api/matches", json={"snapshot_a_id": 1, "snapshot_b_id": 2, "n_games": 2}, headers=ADMIN)
    assert queued.status_code == 201 and queued.json()["state"] == "queued" and queued.json()["n_games"] == 2
    assert client.post("/api/matches", json={"snapshot_a_id": 1, "snapshot_b_id": 1}, headers=ADMIN).status_code == 422
    assert client.post("/api/matches", json={"snapshot_a_id": 1, "snapshot_b_id": 99}, headers=ADMIN).status_code == 404
    listed = client.get("/api/matches", params={"state": "queued", "opponent": 1}).json()
    assert queued.json()["id"] in [m["id"] for m in listed["items"]]


def test_a_result_with_real_game_records_serves_them_for_replay(client):
    from league.hockey.batch import basic_opponent_policy, play_games

    worker = token(client, "worker")
    job = claim(client, worker)
    weak = {"basic_weak": True, "basic_strong": False}  # the pool holds only the basic opponents
    games = []
    for plan in job["games"]:
        a = basic_opponent_policy(weak[job["snapshot_a"]["kind"]], seed=plan["seed"])
        b = basic_opponent_policy(weak[job["snapshot_b"]["kind"]], seed=plan["seed"] + 1)
        one, two = (a, b) if plan["a_is_player_one"] else (b, a)
        (played,) = play_games(one, two, [plan["seed"]], [plan["one_starting"]], record=True)
        games.append({"index": plan["index"], "winner": played.winner, "length": played.length,
                      "end_reason": played.end_reason, "record": played.record})
    reported = client.post(f"/api/jobs/{job['job_id']}/result", json={"lease_id": job["lease_id"], "games": games},
                           headers=worker)
    assert reported.status_code == 200, reported.text
    detail = client.get(f"/api/matches/{job['job_id']}").json()
    assert all(game["has_record"] for game in detail["games"])
    record = client.get(f"/api/games/{detail['games'][0]['id']}/record").json()
    assert record == json.loads(json.dumps(games[0]["record"]))
    assert record["format"] == "hockey-game-record" and len(record["actions"]) == record["length"]
