"""A lease hijack attempted against a real `league serve` on 127.0.0.1, with two worker tokens.

Worker A claims a job and plays it; worker B, with a token of its own, knows A's name (public),
the job id (public) and, to make it hard, even A's lease id. While A holds the lease, B tries,
from several threads at once: a heartbeat without a lease id (which used to answer with A's lease
id), heartbeats, made-up results and releases under A's lease. Every attempt is refused, the
lease id never appears in any answer B gets or in any public read, and A's own result is the one
that is rated.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.support.app_client import TEST_ADMIN_TOKEN, synthetic_result
from tests.support.live_server import LiveServer, running_server

pytestmark = pytest.mark.slow

ADMIN = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}
ATTACKERS = 4
ROUNDS = 10


@pytest.fixture
def server(tmp_path) -> Iterator[LiveServer]:
    env = {"LEAGUE_QUEUE_TARGET": "2", "LEAGUE_PLACEMENT_GAMES": "0", "LEAGUE_WRITE_RATE_PER_S": "1000",
           "LEAGUE_WRITE_BURST": "1000"}
    with running_server(tmp_path / "league", TEST_ADMIN_TOKEN, extra_env=env) as live:
        yield live


def _worker_token(url: str, name: str) -> dict[str, str]:
    made = httpx.post(f"{url}/api/tokens", json={"name": name, "role": "worker", "user": "admin"}, headers=ADMIN,
                      timeout=30)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['plaintext']}"}


def test_another_workers_token_cannot_touch_a_lease_even_knowing_its_ids(server):
    url = server.url
    a, b = _worker_token(url, "worker-a"), _worker_token(url, "worker-b")
    job = httpx.post(f"{url}/api/jobs/claim", headers=a, timeout=30).json()["job"]
    job_id, lease = job["job_id"], job["lease_id"]
    assert job["worker"] == "worker-a"

    forged = synthetic_result(job, a_outcome=-1)  # B's made-up result: a loses every game
    attempts = [
        ("heartbeat", {}),  # no lease id: it used to answer with A's lease
        ("heartbeat", {"lease_id": lease}),
        ("heartbeat", {"lease_id": lease, "worker": "worker-a"}),  # naming A is no field any more
        ("result", forged),
        ("result", forged | {"worker": "worker-a"}),
        ("release", {"lease_id": lease}),
    ]
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def attack() -> None:
        with httpx.Client(base_url=url, headers=b, timeout=30) as http:
            for _ in range(ROUNDS):
                for action, body in attempts:
                    answer = http.post(f"/api/jobs/{job_id}/{action}", json=body)
                    with lock:
                        answers.append(answer)

    threads = [threading.Thread(target=attack) for _ in range(ATTACKERS)]
    for thread in threads:
        thread.start()
    with httpx.Client(base_url=url, headers=a, timeout=30) as http:  # A keeps its lease alive meanwhile
        for _ in range(ROUNDS):
            assert http.post(f"/api/jobs/{job_id}/heartbeat", json={"lease_id": lease}).status_code == 200
    for thread in threads:
        thread.join(timeout=120)

    assert len(answers) == ATTACKERS * ROUNDS * len(attempts)
    statuses = {answer.status_code for answer in answers}
    assert statuses <= {409, 422}, statuses
    assert all(lease not in answer.text for answer in answers)
    for path in (f"/api/matches/{job_id}", "/api/jobs/stats", "/api/matches", f"/matches/{job_id}"):
        assert lease not in httpx.get(f"{url}{path}", timeout=30).text, path
    assert httpx.get(f"{url}/api/matches/{job_id}", timeout=30).json()["state"] == "leased"  # still A's

    own = httpx.post(f"{url}/api/jobs/{job_id}/result", json=synthetic_result(job, a_outcome=1), headers=a,
                     timeout=30)
    assert own.status_code == 200 and own.json()["duplicate"] is False, own.text
    detail = httpx.get(f"{url}/api/matches/{job_id}", timeout=30).json()
    assert [g["result_a"] for g in detail["games"]] == ["win"] * len(job["games"])  # A's result was rated
    assert detail["worker"] == "worker-a"
    again = httpx.post(f"{url}/api/jobs/{job_id}/result", json=synthetic_result(job, a_outcome=1), headers=b,
                       timeout=30)
    assert again.status_code == 409  # not even a "duplicate" for B
    refused = httpx.get(f"{url}/api/audit", params={"limit": 500}, headers=ADMIN, timeout=30).json()["items"]
    assert sum(1 for e in refused if e["token_id"] and e["status"] == 409) >= ATTACKERS * ROUNDS
