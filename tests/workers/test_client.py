"""The workers' HTTP client against a real (scripted) HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from league.workers.client import (
    AuthenticationError,
    Conflict,
    IncompatibleServer,
    LeagueClient,
    RequestRejected,
    RetryPolicy,
    ServerError,
    ServerUnreachable,
)


class ScriptedServer:
    """Answers each request with the next scripted (status, body) for its path; records requests."""

    def __init__(self):
        self.script: dict[str, list[tuple[int, object]]] = {}
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append((self.command, self.path, dict(self.headers), body))
                path = self.path.split("?")[0]
                queue = outer.script.get(path) or [(404, {"detail": f"no route {path}"})]
                status, payload = queue.pop(0) if len(queue) > 1 else queue[0]
                if outer.delay:
                    time.sleep(outer.delay)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                kind = "text/html" if isinstance(payload, bytes) else "application/json"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


def _client(url, token="secret", attempts=4, **kwargs):
    waits: list[float] = []
    client = LeagueClient(url, token, retry=RetryPolicy(attempts=attempts), sleep=waits.append, **kwargs)
    return client, waits


def test_get_is_retried_on_5xx_with_growing_backoff(server):
    server.script["/api/leaderboard"] = [(503, {"detail": "busy"}), (500, {"detail": "oops"}), (200, [{"rank": 1}])]
    client, waits = _client(server.url)
    assert client.leaderboard() == [{"rank": 1}]
    assert len(server.requests) == 3
    assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0


def test_bearer_token_is_sent(server):
    server.script["/api/leaderboard"] = [(200, [])]
    client, _ = _client(server.url, token="tok-123")
    client.leaderboard()
    assert server.requests[0][2]["Authorization"] == "Bearer tok-123"


def test_non_idempotent_claim_is_not_retried_on_5xx(server):
    server.script["/api/jobs/claim"] = [(500, {"detail": "database exploded"}), (200, {"id": 1})]
    client, _ = _client(server.url)
    with pytest.raises(ServerError, match="500 database exploded|server error 500"):
        client.claim_job("w1")
    assert len(server.requests) == 1


def test_result_report_is_retried_on_5xx(server):
    server.script["/api/jobs/7/result"] = [(502, b"<html>bad gateway</html>"), (200, {"status": "done"})]
    client, _ = _client(server.url)
    assert client.report_result(7, {"games": []}) == {"status": "done"}
    assert len(server.requests) == 2


def test_empty_queue_claim_returns_none(server):
    server.script["/api/jobs/claim"] = [(204, b"")]
    client, _ = _client(server.url)
    assert client.claim_job("w1") is None


def test_unreachable_server_raises_after_all_attempts():
    client, waits = _client("http://127.0.0.1:9", attempts=3)  # port 9 (discard): nothing listens
    with pytest.raises(ServerUnreachable, match=r"cannot connect to http://127.0.0.1:9 .*after 3 tries"):
        client.health()
    assert len(waits) == 2


def test_connection_errors_are_retried_even_for_a_claim():
    client, waits = _client("http://127.0.0.1:9", attempts=2)
    with pytest.raises(ServerUnreachable):
        client.claim_job("w1")
    assert len(waits) == 1


def test_wrong_token_is_a_clear_authentication_error_without_retry(server):
    server.script["/api/jobs/claim"] = [(401, {"detail": "invalid or revoked token"})]
    client, waits = _client(server.url)
    with pytest.raises(AuthenticationError) as caught:
        client.claim_job("w1")
    assert "invalid or revoked token" in str(caught.value) and "--token" in str(caught.value)
    assert caught.value.status_code == 401 and waits == []


def test_validation_errors_are_flattened_to_one_line(server):
    detail = [{"loc": ["body", "games", 0, "winner"], "msg": "Input should be -1, 0 or 1", "type": "x"}]
    server.script["/api/jobs/3/result"] = [(422, {"detail": detail})]
    client, _ = _client(server.url)
    with pytest.raises(RequestRejected, match=r"422 games\.0\.winner: Input should be -1, 0 or 1"):
        client.report_result(3, {"games": [{"winner": 5}]})


def test_conflict_is_its_own_error(server):
    server.script["/api/jobs/3/heartbeat"] = [(409, {"detail": "job 3 is leased to another worker"})]
    client, _ = _client(server.url)
    with pytest.raises(Conflict, match="leased to another worker"):
        client.heartbeat(3, "w1")


def test_read_timeout_is_retried_for_reads(server):
    server.script["/api/leaderboard"] = [(200, [])]
    server.delay = 0.5
    client, waits = _client(server.url, attempts=2, timeout=httpx.Timeout(0.1))
    with pytest.raises(ServerUnreachable, match="ReadTimeout"):
        client.leaderboard()
    assert len(server.requests) == 2 and len(waits) == 1


def test_compatible_server_passes_the_version_check(server):
    server.script["/api/health"] = [(200, {"status": "ok", "game_version": "2.6+league.1"})]
    client, _ = _client(server.url)
    assert client.check_compatible("2.6+league.1")["status"] == "ok"


def test_other_game_version_is_incompatible(server):
    server.script["/api/health"] = [(200, {"status": "ok", "game_version": "2.5+league.9"})]
    client, _ = _client(server.url)
    with pytest.raises(IncompatibleServer, match="plays game version 2.5\\+league.9, this worker plays 2.6"):
        client.check_compatible("2.6+league.1")


def test_a_server_that_is_not_a_league_server_is_incompatible(server):
    server.script["/api/health"] = [(200, b"<html>hello</html>")]
    client, _ = _client(server.url)
    with pytest.raises(IncompatibleServer, match="not JSON"):
        client.check_compatible("2.6+league.1")
    server.script["/api/health"] = [(404, b"not found")]
    with pytest.raises(IncompatibleServer, match="no /api/health"):
        client.check_compatible("2.6+league.1")


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://x", ""])
def test_bad_server_urls_are_refused(url):
    with pytest.raises(ValueError, match="must start with http"):
        LeagueClient(url)


def test_trailing_slash_and_api_suffix_are_accepted(server):
    server.script["/api/leaderboard"] = [(200, [])]
    client, _ = _client(server.url + "/api/")
    assert client.leaderboard() == []
