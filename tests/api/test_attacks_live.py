"""Attacks on a real `league serve` on 127.0.0.1: big bodies without a token, silent and trickling
connections, a body sent a byte at a time, more connections than the limit, idle keep-alive ones.

Each attack runs for a few seconds with short time-outs (set through `LEAGUE_*` variables) while a
thread measures `/api/health`; the server must close what it should, within its time-outs, and keep
answering everyone else.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.support.app_client import TEST_ADMIN_TOKEN
from tests.support.live_server import LiveServer, running_server

pytestmark = pytest.mark.slow

HEADER_TIMEOUT_S = 2.0
BODY_TIMEOUT_S = 2.0
KEEP_ALIVE_S = 1.0
CONNECTION_LIMIT = 20
MAX_HEADER_BYTES = 4096


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    env = {"LEAGUE_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S), "LEAGUE_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
           "LEAGUE_KEEP_ALIVE_S": str(KEEP_ALIVE_S), "LEAGUE_MAX_CONNECTIONS": "1000",
           "LEAGUE_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES)}
    with running_server(tmp_path_factory.mktemp("attacks"), TEST_ADMIN_TOKEN, extra_env=env) as live:
        yield live


def _address(server: LiveServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def _rss_mb(server: LiveServer) -> float:
    for line in open(f"/proc/{server.process.pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@contextmanager
def health_latencies(server: LiveServer) -> Iterator[list[float]]:
    """Measure `/api/health` every 50 ms on one keep-alive connection while the block runs."""
    latencies: list[float] = []
    stop = threading.Event()

    def measure() -> None:
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            while not stop.is_set():
                started = time.perf_counter()
                assert client.get("/api/health").status_code == 200
                latencies.append(time.perf_counter() - started)
                stop.wait(0.05)

    thread = threading.Thread(target=measure, daemon=True)
    thread.start()
    try:
        yield latencies
    finally:
        stop.set()
        thread.join(15)


def _closed_within(sock: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before it closed the connection, or None if it stayed open for `seconds`."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return received


def _big_unauthenticated_post(address: tuple[str, int], size: int, outcome: list[str]) -> None:
    head = (f"POST /api/opponents HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    block = b"\0" * (1 << 20)
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(head)
        sent = 0
        try:
            while sent < size:
                sock.sendall(block)
                sent += len(block)
        except OSError:
            pass  # the server answered and closed: the rest is never read
        answer = _closed_within(sock, 10) or b""
        outcome.append(answer.split(b"\r\n", 1)[0].decode(errors="replace") + f" after {sent >> 20} MiB")


def test_big_bodies_without_a_token_are_refused_unread_while_health_stays_fast(server):
    rss_before = _rss_mb(server)
    outcomes: list[str] = []
    with health_latencies(server) as latencies:
        for _ in range(3):  # twelve 62 MiB POSTs, four at a time
            posts = [threading.Thread(target=_big_unauthenticated_post, args=(_address(server), 62 << 20, outcomes))
                     for _ in range(4)]
            for post in posts:
                post.start()
            for post in posts:
                post.join(60)
        time.sleep(0.3)
    assert len(outcomes) == 12 and all(o.startswith("HTTP/1.1 401") for o in outcomes), outcomes
    assert max(int(o.split(" after ")[1].split()[0]) for o in outcomes) < 62  # none was read to the end
    assert latencies and max(latencies) < 1.0 and statistics.median(latencies) < 0.1, latencies
    assert _rss_mb(server) - rss_before < 60


def test_silent_and_trickling_connections_are_closed_at_the_header_timeout(server):
    address = _address(server)
    silent = [socket.create_connection(address) for _ in range(100)]
    trickling = [socket.create_connection(address) for _ in range(100)]
    request = b"GET /api/leaderboard HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 200
    opened = time.monotonic()
    stop = threading.Event()

    def trickle() -> None:  # a byte per connection every 0.2 s: never a whole head
        for position in range(len(request)):
            for sock in trickling:
                try:
                    sock.send(request[position:position + 1])
                except OSError:
                    pass
            if stop.wait(0.2):
                return

    thread = threading.Thread(target=trickle, daemon=True)
    with health_latencies(server) as latencies:
        thread.start()
        answers = [_closed_within(sock, HEADER_TIMEOUT_S + 3) for sock in silent + trickling]
        closed_after = time.monotonic() - opened
        stop.set()
        thread.join(5)
    for sock in silent + trickling:
        sock.close()
    assert all(answer is not None for answer in answers), "a connection outlived the header time-out"
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers if answer)
    assert HEADER_TIMEOUT_S - 0.5 < closed_after < HEADER_TIMEOUT_S + 3
    assert latencies and max(latencies) < 1.0, latencies


def test_a_body_sent_a_byte_at_a_time_is_cut_off_at_the_body_timeout(server):
    body = b'{"name": "slow", "role": "worker", "user": "admin"}'
    head = (f"POST /api/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TEST_ADMIN_TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(_address(server)) as sock:
        sock.sendall(head)
        started = time.monotonic()
        answer = b""
        sock.settimeout(0.25)
        for byte in body:
            try:
                sock.send(bytes([byte]))
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if answer:
                break
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert BODY_TIMEOUT_S - 0.3 < elapsed < BODY_TIMEOUT_S + 2


def test_an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout(server):
    with socket.create_connection(_address(server)) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(5)
        answer = b""
        while not answer.endswith(b"}"):  # the whole answer: head and JSON body
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert _closed_within(sock, KEEP_ALIVE_S + 3) == b""
        assert time.monotonic() - started < KEEP_ALIVE_S + 1.5


def test_connections_at_the_limit_are_served_and_one_more_is_answered_503(tmp_path):
    env = {"LEAGUE_MAX_CONNECTIONS": str(CONNECTION_LIMIT), "LEAGUE_HEADER_TIMEOUT_S": "3"}
    with running_server(tmp_path / "league", TEST_ADMIN_TOKEN, extra_env=env) as live:
        address = _address(live)
        held = [socket.create_connection(address) for _ in range(CONNECTION_LIMIT - 1)]
        time.sleep(0.3)
        with httpx.Client(base_url=live.url, timeout=5) as client:
            assert client.get("/api/health").status_code == 200  # the limit-th connection
        held.append(socket.create_connection(address))
        time.sleep(0.3)
        with httpx.Client(base_url=live.url, timeout=5) as client:
            over = client.get("/api/health")
        assert over.status_code == 503
        for sock in held:  # the header time-out frees them
            assert _closed_within(sock, 6) is not None
            sock.close()
        with httpx.Client(base_url=live.url, timeout=5) as client:
            assert client.get("/api/health").status_code == 200


def test_a_request_head_within_the_size_limit_is_served_and_a_larger_one_refused(server):
    def status(padding: int) -> bytes:
        with socket.create_connection(_address(server), timeout=5) as sock:
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * padding + b"\r\n\r\n")
            return sock.recv(65536).split(b"\r\n", 1)[0]

    assert status(MAX_HEADER_BYTES - 200) == b"HTTP/1.1 200 OK"
    assert status(MAX_HEADER_BYTES + 200) == b"HTTP/1.1 431 Request Header Fields Too Large"
