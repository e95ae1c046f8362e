"""The trainer's link to a league server: start-up checks, metrics batching, opponent fallback."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from agents.opponents.self_play import SelfPlayManager
from league.cli.errors import CommandError
from league.cli.train import add_server_arguments, connect
from league.hockey import GAME_VERSION as GAME
from league.workers.client import LeagueClient, RetryPolicy
from league.workers.trainer_link import MetricsPoster, ServerOpponentSource
from tests.workers.test_client import ScriptedServer


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


def _args(*argv):
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    return parser.parse_args(list(argv))


def _local_pool(basic_share=0.0):
    """The agent's self-play pool with one learner snapshot (its policies are stand-in strings)."""
    pool = SelfPlayManager(lambda state: f"policy-of-{state['step']}", np.random.default_rng(0), 3, basic_share)
    pool.add_snapshot({"step": 500}, 500)
    return pool


def test_without_server_there_is_no_link(tmp_path, monkeypatch):
    monkeypatch.delenv("LEAGUE_SERVER_URL", raising=False)
    assert connect(_args(), run_name="run", run_dir=tmp_path) is None


def test_server_without_token_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("LEAGUE_TOKEN", raising=False)
    with pytest.raises(CommandError, match="--server needs a token"):
        connect(_args("--server", "http://127.0.0.1:9"), run_name="r", run_dir=tmp_path)


def test_bad_url_and_bad_interval_are_refused(tmp_path):
    with pytest.raises(CommandError, match="must start with http"):
        connect(_args("--server", "league-host:8000", "--token", "t"), run_name="r", run_dir=tmp_path)
    with pytest.raises(CommandError, match="--register-every must be at least 1"):
        connect(_args("--server", "http://x", "--token", "t", "--register-every", "0"), run_name="r",
                run_dir=tmp_path)


def test_unreachable_server_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot reach the league server"):
        connect(_args("--server", "http://127.0.0.1:9", "--token", "t"), run_name="r", run_dir=tmp_path)


def test_other_game_version_is_a_clear_error(tmp_path, server):
    server.script["/api/health"] = [(200, {"status": "ok", "game_version": "0.1"})]
    with pytest.raises(CommandError, match="plays game version 0.1"):
        connect(_args("--server", server.url, "--token", "t"), run_name="r", run_dir=tmp_path)


def test_wrong_token_is_refused_at_start(tmp_path, server):
    server.script["/api/health"] = [(200, {"status": "ok", "game_version": GAME})]
    server.script["/api/agents/r/metrics"] = [(401, {"detail": "the bearer token is unknown or revoked"})]
    with pytest.raises(CommandError, match="refused this trainer.*unknown or revoked"):
        connect(_args("--server", server.url, "--token", "t"), run_name="r", run_dir=tmp_path)


def test_metrics_lines_are_batched_filtered_and_kept_while_the_server_is_away(server, tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "time": 5.0, "loss": 9.0}\n')  # written before the link: not posted
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    poster = MetricsPoster(client, "run 1", path, flush_every=3600, log=lambda _: None)
    with path.open("a") as handle:
        handle.write('{"step": 10, "time": 6.0, "loss": 1.5, "win_rate": 0.25, "flag": true}\n')
        handle.write('{"step": 20, "time": 7.0, "loss": 1.0}\n{"step": 30, "lo')  # last line incomplete
    server.script["/api/agents/run%201/metrics"] = [(503, {"detail": "restarting"}), (201, {"stored": 3})]
    poster.poll()  # not yet time to flush
    assert server.requests == []
    poster.poll(force=True)
    assert len(poster.buffer) == 2 and poster.posted == 0
    assert poster.flush() is True and poster.buffer == [] and poster.posted == 2
    body = json.loads(server.requests[-1][3])
    assert body == {"metrics": [{"step": 10, "values": {"loss": 1.5, "win_rate": 0.25}},
                                {"step": 20, "values": {"loss": 1.0}}]}
    with path.open("a") as handle:
        handle.write('ss": 0.5}\n')
    poster.poll(force=True)
    assert json.loads(server.requests[-1][3]) == {"metrics": [{"step": 30, "values": {"loss": 0.5}}]}


def test_opponents_come_from_the_local_pool_until_the_learner_is_registered(server):
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    pool = _local_pool()
    source = ServerOpponentSource.around(pool, client, loader=None, log=lambda _: None)
    assert isinstance(source, SelfPlayManager) and source.entries is pool.entries
    assert source.sample() == ("self-000000500", "policy-of-500")
    assert server.requests == []  # no learner yet: nothing asked of the server
    source.record_result("self-000000500", 1)
    assert pool.entries["self-000000500"].wins == 1
    assert source.add_snapshot({"step": 900}, 900) == "self-000000900"
    assert "self-000000900" in pool.entries


def test_opponents_fall_back_to_the_local_pool_while_the_server_is_away(server):
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    messages = []
    source = ServerOpponentSource.around(_local_pool(), client, loader=None, log=messages.append, retry_after=60)
    source.learner_id = 7
    server.script["/api/opponents/sample"] = [(503, {"detail": "down"})]
    assert source.sample()[0] == "self-000000500"
    assert source.sample()[0] == "self-000000500"
    assert len(server.requests) == 1  # the second draw did not wait for the server again
    assert len(messages) == 1 and "local pool" in messages[0]
    assert source.served == {"server": 0, "local": 2}
