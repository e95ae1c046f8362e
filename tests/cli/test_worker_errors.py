"""Bad input to the worker commands: clear messages, exit code 1, no traceback.

Unreachable server, wrong token, a server of another game version or one that answers in another
shape, missing or malformed options and environment variables, for `league match-worker`,
`league train --server` and `league up`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest

from league.cli.up import LEAGUE
from tests.support.live_server import free_port, running_server
from tests.support.scripted_server import ScriptedServer, health_answer

ADMIN = "cli-errors-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"


def league(*argv: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LEAGUE_")}
    return subprocess.run([*LEAGUE, *argv], env={**base, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def assert_clean_failure(result: subprocess.CompletedProcess, *phrases: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    for phrase in phrases:
        assert phrase in output, output


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("server"), ADMIN) as server:
        yield server


@pytest.fixture
def other_version_server():
    server = ScriptedServer()
    server.script["/api/health"] = [(200, health_answer("1.0+other"))]
    yield server
    server.close()


def test_match_worker_without_server_or_token(tmp_path):
    assert_clean_failure(league("match-worker", "--token", "t"), "no server given", "LEAGUE_SERVER_URL")
    assert_clean_failure(league("match-worker", "--server", "http://127.0.0.1:9"), "no token given",
                         "league token create --user USER --role worker")


def test_match_worker_with_a_malformed_url():
    assert_clean_failure(league("match-worker", "--server", "127.0.0.1:8000", "--token", "t"),
                         "must start with http:// or https://")


def test_match_worker_with_an_unreachable_server():
    started = time.monotonic()
    result = league("match-worker", "--server", "http://127.0.0.1:9", "--token", "t", "--connect-timeout", "1")
    assert_clean_failure(result, "cannot reach the league server", "http://127.0.0.1:9")
    assert time.monotonic() - started < 60


def test_match_worker_with_a_wrong_token(live_server, tmp_path):
    result = league("match-worker", "--server", live_server.url, "--token", "not-a-token",
                    "--cache-dir", str(tmp_path))
    assert_clean_failure(result, "the server refused this worker", "401", "check --token")


def test_match_worker_with_a_token_of_the_wrong_role(live_server, tmp_path):
    import httpx

    made = httpx.post(f"{live_server.url}/api/tokens", json={"name": "a trainer", "role": "trainer", "user": "admin"},
                      headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10).json()
    result = league("match-worker", "--server", live_server.url, "--token", made["plaintext"],
                    "--cache-dir", str(tmp_path))
    assert_clean_failure(result, "the server refused this worker", "403")


def test_match_worker_against_another_game_version(other_version_server, tmp_path):
    result = league("match-worker", "--server", other_version_server.url, "--token", "t", "--cache-dir", str(tmp_path))
    assert_clean_failure(result, "plays game version 1.0+other", "install the same version")


@pytest.mark.parametrize("matches, path, field", [("1", "/api/jobs/claim", "job"), ("8", "/api/jobs/claim-batch", "jobs")])
def test_match_worker_against_a_server_answering_in_another_shape(tmp_path, matches, path, field):
    server = ScriptedServer()
    server.script["/api/health"] = [(200, health_answer())]
    server.script[path] = [(200, {"id": 1, "games": []})]  # not {"job": ...} / {"jobs": [...]}
    try:
        result = league("match-worker", "--server", server.url, "--token", "t", "--cache-dir", str(tmp_path),
                        "--matches", matches)
    finally:
        server.close()
    assert_clean_failure(result, f"POST {path}: the answer is not what a league server", f"{field}: Field required")


@pytest.mark.parametrize("variable,value,message", [
    ("LEAGUE_SERVER_URL", "league-host:8000", "LEAGUE_SERVER_URL: server URL must start with http:// or https://"),
    ("LEAGUE_TOKEN", "line\nbreak", "LEAGUE_TOKEN: a token is printable ASCII"),
])
@pytest.mark.parametrize("command", [["match-worker"], ["train", "--preset", "debug", "--steps", "1"]])
def test_worker_commands_with_an_invalid_environment_variable(tmp_path, command, variable, value, message):
    result = league(*command, "--run-dir" if command[0] == "train" else "--cache-dir", str(tmp_path),
                    env={variable: value})
    assert_clean_failure(result, "invalid environment variable", message)


def test_worker_commands_read_server_and_token_from_the_environment(other_version_server, tmp_path):
    result = league("match-worker", "--cache-dir", str(tmp_path),
                    env={"LEAGUE_SERVER_URL": other_version_server.url, "LEAGUE_TOKEN": "t"})
    assert_clean_failure(result, "plays game version 1.0+other")
    assert other_version_server.requests[0][2]["Authorization"] == "Bearer t"


def test_empty_environment_variables_count_as_unset():
    result = league("match-worker", "--token", "t", env={"LEAGUE_SERVER_URL": ""})
    assert_clean_failure(result, "no server given")


def test_up_with_an_invalid_server_setting(tmp_path):
    result = league("up", "--port", str(free_port()), "--data-dir", str(tmp_path), env={"LEAGUE_GAMES_PER_MATCH": "3"})
    assert_clean_failure(result, "invalid environment variable LEAGUE_GAMES_PER_MATCH", "must be even")


@pytest.mark.parametrize("option,value,message", [
    ("--max-jobs", "0", "--max-jobs must be at least 1"),
    ("--poll-interval", "-1", "--poll-interval must not be negative"),
])
def test_match_worker_with_bad_numbers(option, value, message):
    assert_clean_failure(league("match-worker", "--server", "http://x", "--token", "t", option, value), message)


def test_train_with_a_wrong_token(live_server, tmp_path):
    result = league("train", "--preset", "debug", "--run-dir", str(tmp_path / "run"), "--steps", "10",
                    "--server", live_server.url, "--token", "not-a-token")
    assert_clean_failure(result, "the server refused this trainer", "401")


def test_train_with_an_unreachable_server(tmp_path):
    result = league("train", "--preset", "debug", "--run-dir", str(tmp_path / "run"), "--steps", "10",
                    "--server", "http://127.0.0.1:9", "--token", "t")
    assert_clean_failure(result, "cannot reach the league server")


def test_up_on_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = league("up", "--port", str(port), "--data-dir", str(tmp_path))
    assert_clean_failure(result, f"cannot listen on 127.0.0.1:{port}", "choose another --port")


@pytest.mark.parametrize("argv,message", [
    (["--port", "0"], "--port must be between 1 and 65535"),
    (["--match-workers", "-1"], "--match-workers must not be negative"),
    (["--register-every", "0"], "--register-every must be at least 1"),
    (["--trainer-args", "--set 'unclosed"], "--trainer-args cannot be split"),
])
def test_up_with_bad_options(tmp_path, argv, message):
    assert_clean_failure(league("up", "--data-dir", str(tmp_path), *argv), message)
