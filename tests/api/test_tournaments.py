"""Tournaments over HTTP: create, read while it runs, pause, resume, cancel, export; bad requests 4xx."""

from __future__ import annotations

import csv
import io

import pytest

from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import make_test_client, synthetic_result


@pytest.fixture
def client(database_url, tmp_path):
    with make_test_client(database_url, tmp_path, queue_target=0) as test_client:
        yield test_client


def _token(client, role, user="admin"):
    if user != "admin":
        assert client.post("/api/users", json={"name": user}, headers=ADMIN).status_code == 201
    response = client.post("/api/tokens", json={"name": f"{role}-1", "role": role, "user": user}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['plaintext']}"}


def _basic_ids(client):
    return sorted(row["snapshot_id"] for row in client.get("/api/leaderboard").json())


def _play(client, worker, a_outcome=1):
    job = client.post("/api/jobs/claim", headers=worker).json()["job"]
    if job is None:
        return None
    response = client.post(f"/api/jobs/{job['job_id']}/result", json=synthetic_result(job, a_outcome),
                           headers=worker)
    assert response.status_code == 200, response.text
    return job


def test_a_tournament_over_http_from_creation_to_export(client):
    worker = _token(client, "worker")
    ids = _basic_ids(client)
    created = client.post("/api/tournaments", json={"name": "final", "participants": ids, "format": "round_robin",
                                                   "games_per_pair": 20, "seed": 42, "rated": False}, headers=ADMIN)
    assert created.status_code == 201, created.text
    tournament_id = created.json()["id"]
    assert created.json()["games_total"] == 20 and created.json()["state"] == "running"

    assert _play(client, worker)["snapshot_a"]["id"] == ids[0]
    assert client.post(f"/api/tournaments/{tournament_id}/pause", headers=ADMIN).json()["state"] == "paused"
    assert client.post("/api/jobs/claim", headers=worker).json()["job"] is None
    assert client.post(f"/api/tournaments/{tournament_id}/pause", headers=ADMIN).status_code == 409
    assert client.post(f"/api/tournaments/{tournament_id}/resume", headers=ADMIN).json()["state"] == "running"
    assert _play(client, worker) is not None

    detail = client.get(f"/api/tournaments/{tournament_id}").json()
    assert (detail["state"], detail["games_played"], detail["games_total"]) == ("done", 20, 20)
    first, second = detail["standings"]
    assert (first["snapshot_id"], first["score"], first["wins"], first["draws"], first["losses"]) == (ids[0], 20, 20, 0, 0)
    assert first["estimate_low"] <= first["estimate"] <= first["estimate_high"] and second["estimate"] < 0
    assert detail["crosstable"][0]["cells"] == [None, {"opponent_id": ids[1], "games": 20, "score": 20.0, "wins": 20,
                                                       "draws": 0, "losses": 0}]
    assert [t["id"] for t in client.get("/api/tournaments").json()] == [tournament_id]
    assert all(row["games"] == 0 for row in client.get("/api/leaderboard").json())  # unrated

    exported = client.get(f"/api/tournaments/{tournament_id}/export", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [int(r["snapshot_id"]) for r in rows] == ids and rows[0]["score"] == "20.0"
    games = client.get(f"/api/tournaments/{tournament_id}/export", params={"format": "csv", "table": "games"})
    assert len(list(csv.DictReader(io.StringIO(games.text)))) == 20
    as_json = client.get(f"/api/tournaments/{tournament_id}/export", params={"format": "json"}).json()
    assert len(as_json["games"]) == 20 and as_json["standings"] == detail["standings"]
    assert client.post(f"/api/tournaments/{tournament_id}/cancel", headers=ADMIN).status_code == 409


def test_cancel_takes_the_queued_matches_out_of_the_queue(client):
    worker = _token(client, "worker")
    created = client.post("/api/tournaments", json={"name": "t", "participants": {"top": 2}, "games_per_pair": 20,
                                                   "seed": 1}, headers=ADMIN).json()
    cancelled = client.post(f"/api/tournaments/{created['id']}/cancel", headers=ADMIN)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert client.get(f"/api/tournaments/{created['id']}").json()["matches"] == []
    assert _play(client, worker) is None


@pytest.mark.parametrize("change, status, words", [
    ({"participants": [1, 999_999]}, 422, "no snapshot with id 999999"),
    ({"participants": [1]}, 422, "at least two participants"),
    ({"participants": []}, 422, "at least two participants"),
    ({"participants": [1, 2, 2]}, 422, "more than once"),
    ({"games_per_pair": 0}, 422, "even number"),
    ({"games_per_pair": 5}, 422, "even number"),
    ({"format": "knockout"}, 422, "format"),
    ({"participants": {"top": 9}}, 422, "fewer than the top 9"),
    ({"colour": "red"}, 422, "colour"),
    ({"name": "two\nlines\x00"}, 422, "name"),
    ({"participants": [1, 2**62]}, 422, f"no snapshot with id {2**62}"),
    ({"participants": [1, 2**64]}, 422, "participants"),
    ({"seed": 2**70}, 422, "seed"),
])
def test_bad_requests_are_4xx_with_a_reason(client, change, status, words):
    body = {"name": "t", "participants": _basic_ids(client), "games_per_pair": 2, "seed": 1, **change}
    response = client.post("/api/tournaments", json=body, headers=ADMIN)
    assert response.status_code == status, response.text
    assert words in response.text
    assert client.get("/api/tournaments").json() == []


def test_who_may_create_and_steer(client):
    body = {"name": "t", "participants": _basic_ids(client), "games_per_pair": 2, "seed": 1}
    assert client.post("/api/tournaments", json=body).status_code == 401
    assert client.post("/api/tournaments", json=body, headers=_token(client, "worker")).status_code == 403
    trainer = _token(client, "trainer", user="bob")
    refused = client.post("/api/tournaments", json=body, headers=trainer)
    assert refused.status_code == 403 and "only its own snapshots" in refused.text
    made = client.post("/api/tournaments", json=body, headers=ADMIN).json()
    assert client.post(f"/api/tournaments/{made['id']}/pause", headers=trainer).status_code == 403
    assert client.get("/api/tournaments/999/export").status_code == 404


def test_the_dashboard_pages_show_progress_standings_crosstable_and_replays(client):
    worker = _token(client, "worker")
    ids = _basic_ids(client)
    made = client.post("/api/tournaments", json={"name": "spring <cup>", "participants": ids, "games_per_pair": 20,
                                                "seed": 3}, headers=ADMIN).json()
    played = _play(client, worker, a_outcome=0)
    listing = client.get("/tournaments")
    assert listing.status_code == 200 and 'href="/tournaments"' in listing.text
    assert f'href="/tournaments/{made["id"]}"' in listing.text and "spring &lt;cup&gt;" in listing.text
    page = client.get(f"/tournaments/{made['id']}")
    assert page.status_code == 200
    assert '<progress max="20" value="10"' in page.text and "10 of 20 games" in page.text
    assert f'href="/matches/{played["job_id"]}#replay"' in page.text
    assert page.text.count('<tr data-id="') == 2 + 2  # two standings rows, two matches
    assert '"cells": [[0, 1, 0, 10, 0]]' in page.text and "js/heatmap.js" in page.text
    assert client.get("/tournaments/12345").status_code == 404
    assert client.get("/tournaments/abc").status_code == 404


def test_a_tournament_states_its_remote_deadline_and_refuses_one_out_of_range(client):
    ids = _basic_ids(client)
    body = {"name": "deadline", "participants": ids, "games_per_pair": 2, "seed": 1}
    made = client.post("/api/tournaments", json={**body, "remote_deadline_s": 3600}, headers=ADMIN)
    assert made.status_code == 201, made.text
    default = client.post("/api/tournaments", json=body, headers=ADMIN).json()
    assert made.json()["remote_deadline_at"] < default["remote_deadline_at"]  # a day by default
    assert "an offline one forfeits" not in client.get(f"/tournaments/{made.json()['id']}").text  # no remote one
    alice = _token(client, "trainer", "alice")
    remote = client.post("/api/remote/connect", json={"agent": "alice-bot", "version": "v1"}, headers=alice).json()
    with_remote = client.post("/api/tournaments", json={**body, "participants": [ids[0], remote["snapshot"]["id"]]},
                              headers=ADMIN)
    assert with_remote.status_code == 201, with_remote.text
    assert "an offline one forfeits" in client.get(f"/tournaments/{with_remote.json()['id']}").text
    for bad in (0, -1, 90 * 24 * 3600 + 1, 2**70, "soon", 1.5, None):
        answer = client.post("/api/tournaments", json={**body, "remote_deadline_s": bad}, headers=ADMIN)
        assert answer.status_code == 422 and "remote_deadline_s" in answer.text, (bad, answer.text)
