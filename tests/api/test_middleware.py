"""The request body cap while streaming, the leaderboard read cache, and 405s that name every method."""

from __future__ import annotations

import asyncio
import threading
import warnings

import pytest

from api.app import create_app
from api.read_cache import ReadCache
from league.core.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADMIN = {"Authorization": "Bearer admin-secret-for-tests-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"}


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(data_dir=tmp_path, admin_token="admin-secret-for-tests-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1", upload_max_bytes=1000,
                              metrics_max_bytes=1_000_000))
    with TestClient(app) as test_client:
        yield test_client


def test_a_chunked_body_over_the_cap_is_cut_off_with_413(client):
    def chunks():
        yield b'--b\r\nContent-Disposition: form-data; name="weights"; filename="w.safetensors"\r\n\r\n'
        for _ in range(64):
            yield b"x" * 65536

    headers = ADMIN | {"content-type": "multipart/form-data; boundary=b"}
    response = client.post("/api/opponents", content=chunks(), headers=headers)
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert "content-length" not in {k.lower() for k in response.request.headers}  # it really streamed


def test_a_declared_length_over_the_cap_is_refused_before_reading(client):
    response = client.post("/api/agents/run/metrics", content=b"{" + b" " * 3_000_000 + b"}",
                           headers=ADMIN | {"content-type": "application/json"})
    assert response.status_code == 413


def test_405_names_every_method_of_the_path(client):
    response = client.delete("/api/opponents")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}
    assert "not allowed" in response.json()["detail"]


def test_the_cached_leaderboard_follows_writes_at_once(client):
    first = client.get("/api/leaderboard").json()
    assert all(row["active"] for row in first) and len(first) == 2
    client.patch(f"/api/opponents/{first[0]['snapshot_id']}", json={"active": False}, headers=ADMIN)
    assert [row["snapshot_id"] for row in client.get("/api/leaderboard").json()] == [first[1]["snapshot_id"]]
    assert len(client.get("/api/leaderboard", params={"include_retired": "true"}).json()) == 2


def test_concurrent_misses_share_one_computation_and_a_write_invalidates():
    cache = ReadCache(ttl_s=60)
    calls = []
    release = threading.Event()

    def compute() -> bytes:
        calls.append(1)
        release.wait(5)
        return f"body {len(calls)}".encode()

    async def many() -> list[bytes]:
        tasks = [asyncio.create_task(cache.get_or_compute("k", compute)) for _ in range(20)]
        await asyncio.sleep(0.05)
        release.set()
        return await asyncio.gather(*tasks)

    assert set(asyncio.run(many())) == {b"body 1"} and len(calls) == 1
    assert asyncio.run(cache.get_or_compute("k", compute)) == b"body 1"  # a hit
    cache.bump()
    assert asyncio.run(cache.get_or_compute("k", compute)) == b"body 2"


def test_an_entry_expires_after_its_ttl():
    cache = ReadCache(ttl_s=0.0)
    values = iter([b"a", b"b"])
    assert asyncio.run(cache.get_or_compute("k", lambda: next(values))) == b"a"
    assert asyncio.run(cache.get_or_compute("k", lambda: next(values))) == b"b"
