"""`reason=tournament` filters matches in the API and on the dashboard; an unknown reason is refused."""

from __future__ import annotations

import pytest

from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import make_test_client


@pytest.fixture
def client(database_url, tmp_path):
    with make_test_client(database_url, tmp_path, placement_games=0, queue_target=0) as test_client:
        yield test_client


def test_tournament_is_a_reason_to_filter_matches_by(client):
    ids = [row["snapshot_id"] for row in client.get("/api/leaderboard").json()]
    made = client.post("/api/tournaments", json={"name": "cup", "participants": ids, "games_per_pair": 4, "seed": 1},
                       headers=ADMIN)
    assert made.status_code == 201, made.text
    manual = client.post("/api/matches", json={"snapshot_a_id": ids[0], "snapshot_b_id": ids[1]}, headers=ADMIN)
    assert manual.status_code == 201, manual.text
    tournament = client.get("/api/matches", params={"reason": "tournament"}).json()
    assert tournament["total"] >= 1 and {m["reason"] for m in tournament["items"]} == {"tournament"}
    assert [m["id"] for m in client.get("/api/matches", params={"reason": "manual"}).json()["items"]] == [
        manual.json()["id"]]
    refused = client.get("/api/matches", params={"reason": "bogus"})
    assert refused.status_code == 422 and "reason" in refused.text
    page = client.get("/matches", params={"reason": "tournament"})
    assert page.status_code == 200 and 'data-reason="tournament"' in page.text and 'data-reason="manual"' not in page.text
