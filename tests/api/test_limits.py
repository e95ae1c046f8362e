"""The server's limits, in process: writes authenticated before their bodies are read, per-route body
caps at the limit and just past it, the per-token write rate, public reads taking turns, and hostile
uploads and results answered 4xx, never 5xx."""

from __future__ import annotations

import asyncio
import json
import re
import struct
import time
from types import SimpleNamespace

import pytest

from api.body_limit import MULTIPART_OVERHEAD_BYTES, BodyLimitMiddleware, body_limits
from api.rate_limit import TokenBuckets
from api.read_limit import ReadLimiter
from api.write_gate import WriteGate
from league.core.registration import register_snapshot
from league.core.settings import Settings
from league.core.tokens import create_token
from league.hockey.batch import basic_opponent_policy, play_games
from tests.support.app_client import ADMIN_HEADERS, make_test_client, registration_files
from tests.support.league_helpers import TINY_CONFIG, tiny_weights

LIMITS = {"json_max_bytes": 2000, "result_max_bytes": 300_000, "metrics_max_bytes": 5000, "upload_max_bytes": 50_000}


@pytest.fixture
def client(tmp_path):
    with make_test_client(f"sqlite:///{tmp_path / 'league.db'}", tmp_path, queue_target=1, games_per_match=2,
                          **LIMITS) as test_client:
        yield test_client


def worker_headers(client) -> dict[str, str]:
    with client.app.state.sessionmaker() as session:
        return {"Authorization": f"Bearer {create_token(session, 'limits-worker', 'worker').plaintext}"}


def padded(payload: dict, size: int) -> bytes:
    """`payload` as JSON, padded with spaces to exactly `size` bytes."""
    body = json.dumps(payload).encode()
    assert len(body) <= size
    return body + b" " * (size - len(body))


# -- authentication before the body ------------------------------------------------------------


def _run(app, scope: dict, body_chunks: list[bytes]) -> tuple[list[dict], int]:
    """Call an ASGI app with a request; return what it sent and how many body messages it read."""
    sent: list[dict] = []
    reads = 0

    async def receive():
        nonlocal reads
        reads += 1
        chunk = body_chunks[reads - 1] if reads <= len(body_chunks) else b""
        return {"type": "http.request", "body": chunk, "more_body": reads < len(body_chunks)}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent, reads


def _scope(method: str, path: str, headers: dict[str, str]) -> dict:
    return {"type": "http", "method": method, "path": path, "scheme": "http", "server": ("127.0.0.1", 8000),
            "root_path": "", "query_string": b"", "app": SimpleNamespace(state=SimpleNamespace(settings=Settings())),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


class _Sessions:
    """A session factory whose sessions find no token at all."""

    def __call__(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def scalar(self, *args, **kwargs):
        return None


async def _app_that_reads(scope, receive, send):
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"read"})


@pytest.mark.parametrize("headers", [
    {"content-length": "65011712"},
    {"transfer-encoding": "chunked"},
    {"content-length": "65011712", "authorization": "Basic dXNlcjpwYXNz"},
    {"content-length": "65011712", "authorization": "Bearer not-a-token"},
])
def test_a_write_without_a_valid_token_is_refused_before_one_byte_is_read(headers):
    gate = WriteGate(_app_that_reads, sessions=_Sessions(), admin_token=None, buckets=TokenBuckets(1.0, 1))
    sent, reads = _run(gate, _scope("POST", "/api/opponents", headers), [b"x" * 65536] * 3)
    assert reads == 0
    assert sent[0]["status"] == 401 and (b"connection", b"close") in sent[0]["headers"]
    assert (b"www-authenticate", b"Bearer") in sent[0]["headers"]


def test_reads_and_bodiless_writes_without_a_token_go_to_their_route():
    gate = WriteGate(_app_that_reads, sessions=_Sessions(), admin_token=None, buckets=TokenBuckets(1.0, 1))
    for method in ("GET", "DELETE"):
        sent, _ = _run(gate, _scope(method, "/api/opponents", {}), [b""])
        assert sent[0]["status"] == 200


def test_over_http_a_write_without_a_token_is_401_and_with_one_reaches_its_route(client):
    anonymous = client.post("/api/jobs/claim", json={})
    assert anonymous.status_code == 401 and "bearer token" in anonymous.json()["detail"]
    wrong = client.post("/api/jobs/claim", json={}, headers={"Authorization": "Bearer lg_nope"})
    assert wrong.status_code == 401 and "not valid" in wrong.json()["detail"]
    assert client.post("/api/jobs/claim", json={}, headers=worker_headers(client)).status_code == 200


# -- body caps per route -------------------------------------------------------------------------


@pytest.mark.parametrize("path, setting", [
    ("/api/jobs/claim", "json_max_bytes"),
    ("/api/tokens", "json_max_bytes"),
    ("/api/jobs/1/result", "result_max_bytes"),
    ("/api/agents/run/metrics", "metrics_max_bytes"),
    ("/api/opponents", "upload_max_bytes"),
])
def test_a_json_body_at_its_routes_limit_is_read_and_one_byte_more_is_413(client, path, setting):
    limit = LIMITS[setting] + (MULTIPART_OVERHEAD_BYTES if setting == "upload_max_bytes" else 0)
    headers = ADMIN_HEADERS | {"content-type": "application/json"}
    at_limit = client.post(path, content=padded({"x": 1}, limit), headers=headers)
    assert at_limit.status_code not in (413, 500)  # read and answered by the route (422: not what it takes)
    over = client.post(path, content=padded({"x": 1}, limit + 1), headers=headers)
    assert over.status_code == 413, over.text
    assert f"limit of {limit} bytes" in over.json()["detail"] and setting.upper() in over.json()["detail"]


def test_a_chunked_json_body_is_cut_off_just_past_its_limit(client):
    limit = LIMITS["json_max_bytes"]

    def chunks(size):
        body = padded({"worker": "w"}, size)
        yield from (body[i:i + 100] for i in range(0, len(body), 100))

    headers = ADMIN_HEADERS | {"content-type": "application/json"}
    assert client.post("/api/tokens", content=chunks(limit), headers=headers).status_code == 422  # read: no name
    assert client.post("/api/tokens", content=chunks(limit + 1), headers=headers).status_code == 413


def test_the_weights_route_alone_takes_large_bodies():
    limits = body_limits(Settings())
    assert limits.for_request("POST", "/api/opponents")[0] == Settings().upload_max_bytes + (1 << 20)
    assert limits.for_request("POST", "/api/jobs/7/result")[0] == 8 * 2**20
    assert limits.for_request("POST", "/api/agents/a/b/metrics")[0] == 4 * 2**20
    assert limits.for_request("PATCH", "/api/opponents/3")[0] == 64 * 1024
    assert limits.for_request("POST", "/api/users")[0] == 64 * 1024
    cap = BodyLimitMiddleware(_app_that_reads, limits)
    sent, reads = _run(cap, _scope("POST", "/api/jobs/claim", {"content-length": str(64 * 1024 + 1)}), [b"x"])
    assert sent[0]["status"] == 413 and reads == 0


# -- the write rate per token --------------------------------------------------------------------


def test_a_token_may_burst_then_is_held_to_its_rate_with_retry_after(tmp_path):
    with make_test_client(f"sqlite:///{tmp_path / 'league.db'}", tmp_path, write_burst=3,
                          write_rate_per_s=0.01) as client:
        worker = worker_headers(client)
        answers = [client.post("/api/jobs/claim", json={}, headers=worker).status_code
                   for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        limited = client.post("/api/jobs/claim", json={}, headers=worker)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "LEAGUE_WRITE_RATE_PER_S" in limited.json()["detail"]
        # another token has a bucket of its own
        assert client.post("/api/jobs/claim", json={}, headers=ADMIN_HEADERS).status_code == 200


def test_a_bucket_refills_at_its_rate():
    now = [0.0]
    buckets = TokenBuckets(rate_per_s=2.0, burst=2, clock=lambda: now[0])
    assert [buckets.take("t") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("t") == pytest.approx(0.5)
    now[0] = 0.5
    assert buckets.take("t") == 0.0 and buckets.take("t") > 0
    now[0] = 100.0  # never more than the burst
    assert [buckets.take("t") for _ in range(3)][2] > 0


# -- public reads take turns ---------------------------------------------------------------------


def test_reads_beyond_the_queue_are_503_and_health_never_waits():
    release = asyncio.Event()

    async def slow_app(scope, receive, send):
        if scope["path"] != "/api/health":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limiter = ReadLimiter(slow_app, concurrency=1, queue=1)

    async def request(path):
        sent = []

        async def send(message):
            sent.append(message)

        async def receive():
            return {"type": "http.request", "body": b""}

        await limiter({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send)
        return sent[0]["status"]

    async def scenario():
        computing = asyncio.create_task(request("/"))  # takes the one turn
        await asyncio.sleep(0.01)
        waiting = asyncio.create_task(request("/head-to-head"))  # waits in the queue of one
        await asyncio.sleep(0.01)
        refused = await request("/matches")  # the queue is full
        health = await asyncio.wait_for(request("/api/health"), 1.0)
        release.set()
        return refused, health, await computing, await waiting

    assert asyncio.run(scenario()) == (503, 200, 200, 200)


def test_the_openapi_document_names_the_limits_answers(client):
    paths = client.get("/openapi.json").json()["paths"]
    claim = paths["/api/jobs/claim"]["post"]["responses"]
    assert {"401", "413", "429"} <= set(claim)
    assert "503" in paths["/api/leaderboard"]["get"]["responses"]


# -- hostile content: 4xx, fast, never a 5xx -----------------------------------------------------


@pytest.mark.parametrize("field, value", [("hidden", 2**62), ("recurrent", 2**33), ("mlp_layers", 1000),
                                          ("mlp_layers", 10_000), ("mlp_layers", 2**31)])
def test_a_config_bomb_upload_is_a_fast_422_naming_the_field(client, field, value):
    meta = {"agent": "bomb", "kind": "dreamer", "config": {**TINY_CONFIG, field: value}, "step": 1}
    files = registration_files(meta, tiny_weights())
    started = time.perf_counter()
    response = client.post("/api/opponents", files=files, headers=ADMIN_HEADERS)
    assert response.status_code == 422, response.text
    assert f"config field {field} must be at most" in response.json()["detail"]
    assert time.perf_counter() - started < 2.0


def test_a_safetensors_header_of_2000_nested_brackets_is_a_422(client):
    header = b"[" * 2000 + b"]" * 2000
    weights = struct.pack("<Q", len(header)) + header
    meta = {"agent": "nested", "kind": "dreamer", "config": TINY_CONFIG, "step": 1}
    response = client.post("/api/opponents", files=registration_files(meta, weights), headers=ADMIN_HEADERS)
    assert response.status_code == 422 and "RecursionError" in response.json()["detail"]


def _played_games(job: dict) -> list[dict]:
    games = []
    for plan in job["games"]:
        one, two = basic_opponent_policy(True, seed=plan["seed"]), basic_opponent_policy(False, seed=plan["seed"])
        (played,) = play_games(one, two, [plan["seed"]], [plan["one_starting"]], record=True)
        games.append({"index": plan["index"], "winner": played.winner, "length": played.length,
                      "end_reason": played.end_reason, "record": json.loads(json.dumps(played.record))})
    return games


@pytest.mark.parametrize("spoil, message", [
    (lambda record: record["actions"][0].__setitem__(0, 10**400), r"actions\[0\] must be"),
    (lambda record: record.update(padding="x" * 1000), r"unknown field\(s\) padding"),
    (lambda record: record.update(note=float("nan")), r"unknown field\(s\) note"),
])
def test_a_spoiled_record_is_a_422_and_nothing_is_stored(client, spoil, message):
    worker = worker_headers(client)
    job = client.post("/api/jobs/claim", json={}, headers=worker).json()["job"]
    games = _played_games(job)
    spoil(games[0]["record"])
    body = json.dumps({"lease_id": job["lease_id"], "games": games})
    response = client.post(f"/api/jobs/{job['job_id']}/result", content=body,
                           headers=worker | {"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert re.search(message, response.json()["detail"])
    assert client.get(f"/api/matches/{job['job_id']}").json()["state"] == "leased"


def test_weights_of_a_name_outside_latin_1_download_with_both_filenames(client):
    with client.app.state.sessionmaker() as session:
        snapshot = register_snapshot(session, agent="Ωmega", config=TINY_CONFIG, step=3,
                                     weights=tiny_weights()).snapshot
    response = client.get(f"/api/opponents/{snapshot.id}/weights")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition == "attachment; filename=\"_mega@3.safetensors\"; filename*=UTF-8''%CE%A9mega%403.safetensors"

