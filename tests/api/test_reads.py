"""Public reads over HTTP (in-process ASGI): rating history pages, one opponent's standing,
head-to-head, and gzip for large answers."""

from __future__ import annotations

import pytest

from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import make_test_client, synthetic_result
from tests.support.league_helpers import TINY_CONFIG, tiny_weights


@pytest.fixture
def client(database_url, tmp_path):
    with make_test_client(database_url, tmp_path, queue_target=1) as test_client:
        yield test_client


def play_one_match(client, a_outcome: int = 1) -> dict:
    """Claim the next job as an admin-run worker and report snapshot a's `a_outcome` in every game."""
    job = client.post("/api/jobs/claim", headers=ADMIN).json()["job"]
    reported = client.post(f"/api/jobs/{job['job_id']}/result", json=synthetic_result(job, a_outcome), headers=ADMIN)
    assert reported.status_code == 200, reported.text
    return job


def test_rating_history_pages_by_change_id(client):
    job = play_one_match(client)
    play_one_match(client, a_outcome=0)
    opponent = job["snapshot_a"]["id"]
    everything = client.get(f"/api/opponents/{opponent}/ratings").json()
    assert len(everything) == 8
    ids = [change["id"] for change in everything]
    assert ids == sorted(ids) and len(set(ids)) == 8

    pages, since = [], 0
    while True:
        page = client.get(f"/api/opponents/{opponent}/ratings", params={"since_id": since, "limit": 3}).json()
        if not page:
            break
        pages.append(page)
        since = page[-1]["id"]
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [change for page in pages for change in page] == everything
    assert client.get(f"/api/opponents/{opponent}/ratings", params={"since_id": -1}).status_code == 422


def test_one_opponent_has_its_leaderboard_rank_and_the_board_names_lineage_ids(client):
    play_one_match(client)
    board = client.get("/api/leaderboard").json()
    assert all(isinstance(row["agent_id"], int) for row in board)
    for row in board:
        opponent = client.get(f"/api/opponents/{row['snapshot_id']}").json()
        assert (opponent["rank"], opponent["score"], opponent["games"]) == (row["rank"], row["score"], row["games"])
    retired = board[0]["snapshot_id"]
    assert client.patch(f"/api/opponents/{retired}", json={"active": False}, headers=ADMIN).status_code == 200
    assert client.get(f"/api/opponents/{retired}").json()["rank"] is None
    assert client.get(f"/api/opponents/{board[1]['snapshot_id']}").json()["rank"] == 1
    assert client.get("/api/opponents/999").status_code == 404


def test_head_to_head_json_is_what_the_core_listing_serialises_to(client):
    from pydantic import TypeAdapter

    from league.core.leaderboard import head_to_head
    from league.core.schemas import HeadToHead

    play_one_match(client)
    play_one_match(client, a_outcome=0)
    with client.app.state.sessionmaker() as session:
        expected = TypeAdapter(list[HeadToHead]).dump_python(head_to_head(session), mode="json")
    answer = client.get("/api/head-to-head")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json() == expected and len(expected) == 1 and expected[0]["games"] == 8
    assert expected[0]["draws"] == 4 and expected[0]["last_played_at"]
    one = client.get("/api/head-to-head", params={"opponent": expected[0]["snapshot_b_id"]}).json()
    assert one == expected
    assert client.get("/api/head-to-head", params={"opponent": 999}).status_code == 404


def test_a_large_leaderboard_is_gzipped_for_a_client_that_accepts_it(client):
    import gzip
    import json

    from league.core.registration import register_snapshot

    with client.app.state.sessionmaker() as session:
        for step in range(12):
            last = register_snapshot(session, agent="run", config=TINY_CONFIG, step=step, weights=tiny_weights())
    for path in ("/api/leaderboard", "/"):
        packed = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert packed.status_code == 200 and packed.headers["content-encoding"] == "gzip"
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and len(plain.content) > 1024
        assert int(packed.headers["content-length"]) < len(plain.content) / 3
        assert packed.content == plain.content  # decoded by the client
    with client.stream("GET", "/api/leaderboard", headers={"Accept-Encoding": "gzip"}) as response:
        body = gzip.decompress(b"".join(response.iter_raw()))
    assert len(json.loads(body)) == 14
    small = client.get("/api/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
    weights = client.get(f"/api/opponents/{last.snapshot.id}/weights", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in weights.headers and len(weights.content) == last.snapshot.size > 1024
