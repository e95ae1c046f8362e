"""`league serve --workers N`: refused where it cannot work, and on PostgreSQL a real server of two
worker processes whose cached leaderboards follow each other's writes, stopped whole by SIGTERM.

The live test holds one keep-alive connection to each worker (which process holds the server's end
of a connection is read from /proc), so every read and write is known to be served by the worker it
was meant for.
"""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest
from sqlalchemy import text

from league.cli import main
from league.core.db import make_engine
from tests.support.live_server import running_server, stop_server
from tests.support.processes import children_of, process_serving, processes_with_data_dir

ADMIN = "workers-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"
CACHE_TTL_S = 60  # far longer than the test: only a change notice can make a worker's cached copy go
NOTICE_WITHIN_S = 5.0


@pytest.fixture
def sqlite_league(tmp_path, monkeypatch):
    monkeypatch.delenv("LEAGUE_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEAGUE_ADMIN_TOKEN", raising=False)
    return tmp_path / "league"


@pytest.mark.parametrize("workers", ["0", "-1", "65"])
def test_a_worker_count_out_of_bounds_is_refused(workers, sqlite_league, capsys):
    assert main(["serve", "--workers", workers, "--data-dir", str(sqlite_league)]) == 1
    assert f"--workers must be between 1 and 64, got {workers}" in capsys.readouterr().err
    assert not sqlite_league.exists()


def test_several_workers_on_sqlite_are_refused_before_anything_starts(sqlite_league, capsys):
    assert main(["serve", "--workers", "2", "--data-dir", str(sqlite_league)]) == 1
    error = capsys.readouterr().err
    assert "league serve: error: --workers 2 needs PostgreSQL" in error
    assert "on SQLite the server is the database's only writer" in error
    assert not sqlite_league.exists()  # no database was made, no schema upgraded


def test_several_workers_on_a_port_in_use_are_refused_with_the_reason(database_url, tmp_path, monkeypatch, capsys):
    if not database_url.startswith("postgresql"):
        pytest.skip("--workers N needs PostgreSQL")
    monkeypatch.setenv("LEAGUE_DATABASE_URL", database_url)
    monkeypatch.delenv("LEAGUE_ADMIN_TOKEN", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--workers", "2", "--port", str(port), "--data-dir", str(tmp_path)]) == 1
    assert f"league serve: error: cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


class Worker:
    """A keep-alive connection to one worker process."""

    def __init__(self, pid: int, connection: http.client.HTTPConnection) -> None:
        self.pid, self.connection = pid, connection

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        headers = {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"} if body else {}
        self.connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())

    def board(self) -> list[int]:
        status, rows = self.request("GET", "/api/leaderboard")
        assert status == 200
        return [row["snapshot_id"] for row in rows]  # type: ignore[union-attr]


def connect_to_every_worker(port: int, parent: int, count: int, timeout_s: float = 120.0) -> list[Worker]:
    """A connection to each of the `count` workers of `parent` (new connections until each has answered
    one; the workers may still be starting)."""
    found: dict[int, Worker] = {}
    deadline = time.monotonic() + timeout_s
    while len(found) < count:
        assert time.monotonic() < deadline, f"only workers {sorted(found)} answered"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/api/health")
        assert connection.getresponse().read()
        pid = process_serving(connection.sock, children_of(parent))
        if pid is not None and pid not in found:
            found[pid] = Worker(pid, connection)
        else:
            connection.close()
            time.sleep(0.05)
    return list(found.values())


@pytest.mark.slow
def test_two_workers_on_postgres_read_each_others_writes_and_stop_together(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("--workers N needs PostgreSQL")
    data_dir = tmp_path / "league"
    env = {"LEAGUE_DATABASE_URL": database_url, "LEAGUE_READ_CACHE_TTL_S": str(CACHE_TTL_S),
           "LEAGUE_KEEP_ALIVE_S": "300"}
    with running_server(data_dir, ADMIN, timeout_s=120, extra_env=env, serve_args=["--workers", "2"]) as server:
        parent = server.process.pid
        port = int(server.url.rsplit(":", 1)[1])
        workers = connect_to_every_worker(port, parent, 2)
        log = server.log()
        assert log.count("Application startup complete") == 2 and "with 2 worker processes" in log
        # the schema was upgraded once, by the parent, before any worker started (they do not upgrade)
        assert log.count("schema upgraded") == 1
        assert log.index("schema upgraded") < log.index("Started server process")

        first, second = workers[0].board(), workers[1].board()
        assert first == second and len(first) == 2  # the two built-in opponents; now cached by each worker
        # A change behind the server's back sends no notice: each worker keeps serving its cached copy.
        engine = make_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("UPDATE snapshots SET active = false WHERE id = :id"), {"id": first[0]})
        engine.dispose()
        assert [worker.board() for worker in workers] == [first, first]

        # A write through either worker: that worker answers from the new state at once, and the other
        # one as soon as the change notice arrives (far sooner than its cached copy would expire).
        latencies = []
        for round_ in range(6):
            writer, reader = workers[round_ % 2], workers[1 - round_ % 2]
            active = round_ % 2 == 1
            status, _ = writer.request("PATCH", f"/api/opponents/{first[1]}", {"active": active})
            assert status == 200
            expected = [first[1]] if active else []
            assert writer.board() == expected
            started = time.monotonic()
            while reader.board() != expected:
                assert time.monotonic() - started < NOTICE_WITHIN_S, f"worker {reader.pid} still serves stale rows"
                time.sleep(0.001)
            latencies.append(time.monotonic() - started)
        print("a write reached the other worker's cached leaderboard after (ms):",
              " ".join(f"{latency * 1000:.0f}" for latency in latencies))

        pids = processes_with_data_dir(data_dir)
        assert {parent, *(worker.pid for worker in workers)} <= set(pids)
        stop_server(server)
        assert server.process.returncode == 0, server.log()
        deadline = time.monotonic() + 15
        while processes_with_data_dir(data_dir):  # (exited ones not yet reaped by init do not count)
            assert time.monotonic() < deadline, f"left running: {processes_with_data_dir(data_dir)}"
            time.sleep(0.1)
        assert server.log().count("Finished server process") == 2

