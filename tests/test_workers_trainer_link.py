"""The trainer's link to a league server: start-up checks, metrics batching, opponent fallback."""

from __future__ import annotations

import argparse
import json

import pytest
from test_workers_client import ScriptedServer

from league.cli import CommandError
from league.hockey import GAME_VERSION as GAME
from league.workers.client import LeagueClient, RetryPolicy
from league.workers.trainer_link import MetricsPoster, ServerOpponentSource, add_server_arguments, connect


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


def _args(*argv):
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    return parser.parse_args(list(argv))


class LocalPool:
    """The part of the agent's self-play pool the link relies on."""

    def __init__(self):
        self.results = []
        self.snapshots = []

    def sample(self):
        return "local-basic", "local-policy"

    def add_snapshot(self, state, step):
        self.snapshots.append(step)
        return f"self-{step}"

    def record_result(self, name, winner):
        self.results.append((name, winner))


def test_without_server_there_is_no_link(tmp_path, monkeypatch):
    monkeypatch.delenv("LEAGUE_SERVER_URL", raising=False)
    assert connect(_args(), run_name="run", local_pool=LocalPool(), run_dir=tmp_path) is None


def test_server_without_token_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("LEAGUE_TOKEN", raising=False)
    with pytest.raises(CommandError, match="--server needs a token"):
        connect(_args("--server", "http://127.0.0.1:9"), run_name="r", local_pool=LocalPool(), run_dir=tmp_path)


def test_bad_url_and_bad_interval_are_refused(tmp_path):
    with pytest.raises(CommandError, match="must start with http"):
        connect(_args("--server", "league-host:8000", "--token", "t"), run_name="r", local_pool=LocalPool(),
                run_dir=tmp_path)
    with pytest.raises(CommandError, match="--register-every must be at least 1"):
        connect(_args("--server", "http://x", "--token", "t", "--register-every", "0"), run_name="r",
                local_pool=LocalPool(), run_dir=tmp_path)


def test_unreachable_server_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot reach the league server"):
        connect(_args("--server", "http://127.0.0.1:9", "--token", "t"), run_name="r", local_pool=LocalPool(),
                run_dir=tmp_path)


def test_other_game_version_is_a_clear_error(tmp_path, server):
    server.script["/api/health"] = [(200, {"status": "ok", "game_version": "0.1"})]
    with pytest.raises(CommandError, match="plays game version 0.1"):
        connect(_args("--server", server.url, "--token", "t"), run_name="r", local_pool=LocalPool(), run_dir=tmp_path)


def test_wrong_token_is_refused_at_start(tmp_path, server):
    server.script["/api/health"] = [(200, {"status": "ok", "game_version": GAME})]
    server.script["/api/agents/r/metrics"] = [(401, {"detail": "the bearer token is unknown or revoked"})]
    with pytest.raises(CommandError, match="refused this trainer.*unknown or revoked"):
        connect(_args("--server", server.url, "--token", "t"), run_name="r", local_pool=LocalPool(), run_dir=tmp_path)


def test_metrics_are_batched_filtered_and_kept_while_the_server_is_away(server):
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    poster = MetricsPoster(client, "run-1", flush_every=3600, log=lambda _: None)
    poster.add(10, {"loss": 1.5, "win_rate": 0.25, "bad": float("nan"), "label": "text"})
    poster.add(20, {"loss": 1.0})
    server.script["/api/agents/run-1/metrics"] = [(503, {"detail": "restarting"}), (200, {"stored": 2})]
    assert poster.flush() is False and len(poster.buffer) == 2
    assert poster.flush() is True and poster.buffer == [] and poster.posted == 2
    body = json.loads(server.requests[-1][3])
    assert body == {"metrics": [{"step": 10, "values": {"loss": 1.5, "win_rate": 0.25}},
                                {"step": 20, "values": {"loss": 1.0}}]}


def test_opponents_come_from_the_local_pool_until_the_learner_is_registered(server):
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    local = LocalPool()
    source = ServerOpponentSource(client, loader=None, local=local, log=lambda _: None)
    assert source.sample() == ("local-basic", "local-policy")
    assert server.requests == []  # no learner yet: nothing asked of the server
    assert source.add_snapshot({}, 500) == "self-500" and local.snapshots == [500]
    source.record_result("local-basic", 1)
    assert local.results == [("local-basic", 1)]


def test_opponents_fall_back_to_the_local_pool_while_the_server_is_away(server):
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    messages = []
    source = ServerOpponentSource(client, loader=None, local=LocalPool(), log=messages.append, retry_after=60)
    source.learner_id = 7
    server.script["/api/opponents/sample"] = [(503, {"detail": "down"})]
    assert source.sample()[0] == "local-basic"
    assert source.sample()[0] == "local-basic"
    assert len(server.requests) == 1  # the second draw did not wait for the server again
    assert len(messages) == 1 and "local pool" in messages[0]
    assert source.served == {"server": 0, "local": 2}
