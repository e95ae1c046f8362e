"""The live page: remote agents with their status and owner, and the matches being played now."""

from __future__ import annotations

import re

import pytest

from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import make_test_client


@pytest.fixture
def client(database_url, tmp_path):
    with make_test_client(database_url, tmp_path, queue_target=0) as test_client:
        yield test_client


def _token(client, role, user):
    response = client.post("/api/tokens", json={"name": f"{user}-{role}", "role": role, "user": user}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['plaintext']}"}


def _row(page: str, table: str, snapshot_id: int) -> str:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    found = re.search(rf'<tr data-id="{snapshot_id}".*?</tr>', body, re.S)
    assert found, body
    return found.group(0)


def test_the_live_page_shows_who_is_connected_and_what_is_in_play(client):
    assert "No remote agents yet" in client.get("/live").text
    assert "No match is being played right now" in client.get("/live").text
    assert client.post("/api/users", json={"name": "alice"}, headers=ADMIN).status_code == 201
    alice, gateway = _token(client, "trainer", "alice"), _token(client, "worker", "admin")
    online = client.post("/api/remote/connect", json={"agent": "alice-bot", "version": "v1"}, headers=alice).json()
    away = client.post("/api/remote/connect", json={"agent": "alice-bot", "version": "v0"}, headers=alice).json()
    online_id, away_id = online["snapshot"]["id"], away["snapshot"]["id"]
    claimed = client.post("/api/remote/claim", json={"play_for": [online_id]}, headers=gateway)
    assert claimed.status_code == 200 and len(claimed.json()["jobs"]) == 1, claimed.text
    job = claimed.json()["jobs"][0]

    page = client.get("/live")
    assert page.status_code == 200
    assert 'data-online="yes"' in _row(page.text, "remote-agents", online_id)
    assert "alice" in _row(page.text, "remote-agents", online_id)
    assert 'data-online="no"' in _row(page.text, "remote-agents", away_id) and "never" in _row(
        page.text, "remote-agents", away_id)
    in_play = _row(page.text, "in-play", job["job_id"])
    assert "alice-bot@v1" in in_play and "remote" in in_play and "placement" in in_play
    assert 'href="/live" class="active"' in page.text
