"""Users own their agents, over HTTP (in-process ASGI): users and tokens, ownership, owners shown, audit.

The ownership tests replay what trainer B did to trainer A before: retired A's snapshot and both
basic opponents (the leaderboard emptied), registered `A-run@latest` with step 999999 into A's
lineage (it became A's `latest_self`), and posted metrics into A's lineage.
"""

from __future__ import annotations

import pytest

from tests.support.app_client import ADMIN_HEADERS as ADMIN
from tests.support.app_client import make_test_client, registration_files
from tests.support.league_helpers import TINY_CONFIG, tiny_weights


@pytest.fixture
def client(database_url, tmp_path):
    with make_test_client(database_url, tmp_path, placement_games=0, queue_target=0) as test_client:
        yield test_client


def user_token(client, user: str, role: str = "trainer") -> dict[str, str]:
    if client.get(f"/api/users/{user}").status_code == 404:
        assert client.post("/api/users", json={"name": user}, headers=ADMIN).status_code == 201
    made = client.post("/api/tokens", json={"name": f"{user} {role}", "role": role, "user": user}, headers=ADMIN)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['plaintext']}"}


def register(client, headers, agent: str, step: int, name: str | None = None):
    meta = {"agent": agent, "kind": "dreamer", "config": TINY_CONFIG, "step": step} | ({"name": name} if name else {})
    return client.post("/api/opponents", files=registration_files(meta, tiny_weights()), headers=headers)


@pytest.fixture
def league(client):
    """Trainer A (user alice) with a snapshot of her lineage `A-run`, and trainer B (user bob)."""
    a, b = user_token(client, "alice"), user_token(client, "bob")
    made = register(client, a, "A-run", 100)
    assert made.status_code == 201, made.text
    return a, b, made.json()["id"]


def test_b_cannot_retire_a_snapshot_of_a_nor_the_basic_opponents(client, league):
    a, b, a_snapshot = league
    board = [row["snapshot_id"] for row in client.get("/api/leaderboard").json()]
    basics = [row["snapshot_id"] for row in client.get("/api/leaderboard").json() if row["kind"].startswith("basic")]
    for target in (a_snapshot, *basics):
        refused = client.patch(f"/api/opponents/{target}", json={"active": False}, headers=b)
        assert refused.status_code == 403, refused.text
    assert "belongs to 'alice'" in client.patch(f"/api/opponents/{a_snapshot}", json={"active": False},
                                                headers=b).json()["detail"]
    assert "only an admin" in client.patch(f"/api/opponents/{basics[0]}", json={"active": False},
                                           headers=a).json()["detail"]
    assert [row["snapshot_id"] for row in client.get("/api/leaderboard").json()] == board  # nothing retired
    assert client.patch(f"/api/opponents/{a_snapshot}", json={"active": False}, headers=a).status_code == 200
    assert client.patch(f"/api/opponents/{a_snapshot}", json={"active": True}, headers=ADMIN).status_code == 200
    assert client.patch(f"/api/opponents/{basics[0]}", json={"active": False}, headers=ADMIN).status_code == 200


def test_b_cannot_register_into_the_lineage_of_a(client, league):
    a, b, a_snapshot = league
    refused = register(client, b, "A-run", 999999, name="A-run@latest")
    assert refused.status_code == 403 and "belongs to 'alice'" in refused.json()["detail"]
    assert client.get("/api/opponents", params={"agent": "A-run"}).json()["total"] == 1
    samples = client.get("/api/opponents/sample", params={"learner": a_snapshot, "n": 50}).json()
    assert {c["snapshot"]["id"] for c in samples if c["source"] == "latest_self"} <= {a_snapshot}
    assert register(client, a, "A-run", 200).status_code == 201  # its owner still may
    assert register(client, ADMIN, "A-run", 300).status_code == 201  # and an admin
    own = register(client, b, "B-run", 1)
    assert own.status_code == 201 and own.json()["opponent"]["owner"] == "bob"


def test_b_cannot_post_metrics_into_the_lineage_of_a(client, league):
    a, b, _ = league
    batch = {"metrics": [{"step": 1, "values": {"loss": 1.0}}]}
    refused = client.post("/api/agents/A-run/metrics", json=batch, headers=b)
    assert refused.status_code == 403 and "post its metrics" in refused.json()["detail"]
    assert client.get("/api/agents/A-run/metrics").json() == []
    assert client.post("/api/agents/A-run/metrics", json=batch, headers=a).status_code == 201
    assert client.post("/api/agents/builtin/metrics", json=batch, headers=b).status_code == 403


def test_owners_are_shown_in_the_api_and_on_the_pages(client, league):
    _, _, a_snapshot = league
    assert client.get(f"/api/opponents/{a_snapshot}").json()["owner"] == "alice"
    assert {row["name"]: row["owner"] for row in client.get("/api/leaderboard").json()} == {
        "A-run@100": "alice", "basic_weak": "admin", "basic_strong": "admin"}
    assert all(item["owner"] for item in client.get("/api/opponents").json()["items"])
    user = client.get("/api/users/alice").json()
    assert user["name"] == "alice" and [(a["name"], a["best"]["id"]) for a in user["agents"]] == [("A-run", a_snapshot)]
    assert client.get("/api/users/nobody").status_code == 404
    assert [u["name"] for u in client.get("/api/users").json()] == ["admin", "alice", "bob"]
    page = client.get("/users/alice")
    assert page.status_code == 200 and "A-run" in page.text and f'href="/opponents/{a_snapshot}"' in page.text
    assert "owns no agents" in client.get("/users/bob").text
    assert client.get("/users/nobody").status_code == 404
    assert 'href="/users/alice"' in client.get("/").text  # the leaderboard's owner link
    assert 'href="/users/alice"' in client.get(f"/opponents/{a_snapshot}").text
    assert 'href="/users/alice"' in client.get("/agents").text


def test_users_and_tokens_are_made_by_admins_only(client, league):
    a, _, _ = league
    assert client.post("/api/users", json={"name": "carol"}, headers=a).status_code == 403
    assert client.post("/api/users", json={"name": "carol"}).status_code == 401
    assert client.post("/api/users", json={"name": "a/b"}, headers=ADMIN).status_code == 422
    assert client.post("/api/users", json={"name": "alice"}, headers=ADMIN).status_code == 409
    unknown = client.post("/api/tokens", json={"name": "x", "role": "trainer", "user": "carol"}, headers=ADMIN)
    assert unknown.status_code == 404 and "carol" in unknown.json()["detail"]
    listed = client.get("/api/tokens", params={"user": "alice"}, headers=ADMIN).json()
    assert [(t["user"], t["role"]) for t in listed] == [("alice", "trainer")]


def test_the_audit_log_records_every_write_for_admins(client, league):
    a, b, a_snapshot = league
    client.patch(f"/api/opponents/{a_snapshot}", json={"active": False}, headers=b)  # refused: logged too
    client.post("/api/agents/A-run/metrics", json={"metrics": []}, headers=a)
    assert client.get("/api/audit", headers=a).status_code == 403
    assert client.get("/api/audit").status_code == 401
    page = client.get("/api/audit", params={"limit": 2}, headers=ADMIN).json()
    assert page["total"] >= 7 and len(page["items"]) == 2
    newest = page["items"]
    assert (newest[0]["user"], newest[0]["action"], newest[0]["status"]) == ("alice", "POST /api/agents/A-run/metrics", 201)
    assert (newest[1]["user"], newest[1]["action"], newest[1]["status"]) == ("bob", f"PATCH /api/opponents/{a_snapshot}", 403)
    alice = client.get("/api/audit", params={"user": "alice"}, headers=ADMIN).json()["items"]
    registration = next(e for e in alice if e["action"] == "POST /api/opponents")
    assert registration["status"] == 201 and f"snapshot {a_snapshot}" in registration["detail"]
    assert registration["role"] == "trainer" and registration["token_id"] and registration["created_at"]
    made = client.get("/api/audit", params={"user": "admin", "limit": 500}, headers=ADMIN).json()["items"]
    assert {e["action"] for e in made} >= {"POST /api/users", "POST /api/tokens"}
