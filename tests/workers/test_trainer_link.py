"""The trainer's link to a league server: start-up checks, metrics batching, opponent fallback, and a
trainer built with it (opponents from the server once registered, checkpoints registered, metrics posted)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime

import numpy as np
import pytest
import torch

from agents.config import make_config
from agents.opponents.self_play import SelfPlayManager
from agents.training.trainer import Trainer
from league.cli.errors import CommandError
from league.cli.train import add_server_arguments, connect
from league.core.schemas import OpponentChoice, Registered, SnapshotInfo
from league.hockey import GAME_VERSION as GAME
from league.workers.client import LeagueClient, RetryPolicy
from league.workers.trainer_link import MetricsPoster, ServerOpponentSource, TrainerLink
from tests.support.scripted_server import ScriptedServer, wire

torch.set_num_threads(1)


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
    server.script["/api/health"] = [(200, {"status": "ok", "database": "ok", "schema_version": "1",
                                           "game_version": "0.1"})]
    with pytest.raises(CommandError, match="plays game version 0.1"):
        connect(_args("--server", server.url, "--token", "t"), run_name="r", run_dir=tmp_path)


def test_wrong_token_is_refused_at_start(tmp_path, server):
    server.script["/api/health"] = [(200, {"status": "ok", "database": "ok", "schema_version": "1",
                                           "game_version": GAME})]
    server.script["/api/agents/r/metrics"] = [(401, {"detail": "the bearer token is unknown or revoked"})]
    with pytest.raises(CommandError, match="refused this trainer.*unknown or revoked"):
        connect(_args("--server", server.url, "--token", "t"), run_name="r", run_dir=tmp_path)


def test_metrics_lines_are_batched_filtered_and_kept_while_the_server_is_away(server):
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    poster = MetricsPoster(client, "run 1", flush_every=3600, log=lambda _: None)
    server.script["/api/agents/run%201/metrics"] = [(503, {"detail": "restarting"}), (201, {"stored": 3})]
    poster.on_line({"step": 10, "time": 6.0, "loss": 1.5, "win_rate": 0.25, "flag": True})
    poster.on_line({"step": 20, "time": 7.0, "loss": 1.0, "note": "text"})
    assert server.requests == []  # not yet time to post
    poster.poll(force=True)
    assert len(poster.buffer) == 2 and poster.posted == 0  # the server was away: kept
    assert poster.flush() is True and poster.buffer == [] and poster.posted == 2
    body = json.loads(server.requests[-1][3])
    assert body == {"metrics": [{"step": 10, "values": {"loss": 1.5, "win_rate": 0.25}},
                                {"step": 20, "values": {"loss": 1.0}}]}
    poster.flush_every = 0.0  # due at every line: posted as it comes
    poster.on_line({"step": 30, "time": 8.0, "loss": 0.5})
    assert json.loads(server.requests[-1][3]) == {"metrics": [{"step": 30, "values": {"loss": 0.5}}]}


def test_opponents_come_from_the_local_pool_until_the_learner_is_registered(server):
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    pool = _local_pool()
    source = ServerOpponentSource(pool, client, loader=None, log=lambda _: None)
    assert source.sample() == ("self-000000500", "policy-of-500")
    assert server.requests == []  # no learner yet: nothing asked of the server
    source.record_result("self-000000500", 1)
    assert pool.entries["self-000000500"].wins == 1
    assert source.add_snapshot({"step": 900}, 900) == "self-000000900"
    assert "self-000000900" in pool.entries
    from agents.evaluation.scripted import ScriptParams
    assert source.add_style("exploiter-000000900", ScriptParams(aim_y=0.5), 900) == "exploiter-000000900"
    assert pool.entries["exploiter-000000900"].params == ScriptParams(aim_y=0.5).to_dict()
    # what the run saves and restores is the pool's
    assert source.to_json() == pool.to_json() and source.snapshot_tensors() == pool.snapshot_tensors()
    source.load_json(pool.to_json()[:2], {})
    assert set(pool.entries) == {"basic_weak", "basic_strong", "scripted", "style-defender", "style-holder",
                                 "style-shooter", "policy-passive", "policy-random"}


def test_opponents_fall_back_to_the_local_pool_while_the_server_is_away(server):
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    messages = []
    source = ServerOpponentSource(_local_pool(), client, loader=None, log=messages.append, retry_after=60)
    source.learner_id = 7
    server.script["/api/opponents/sample"] = [(503, {"detail": "down"})]
    assert source.sample()[0] == "self-000000500"
    assert source.sample()[0] == "self-000000500"
    assert len(server.requests) == 1  # the second draw did not wait for the server again
    assert len(messages) == 1 and "local pool" in messages[0]
    assert source.served == {"server": 0, "local": 2}


NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
LEARNER = SnapshotInfo(id=11, name="run@0", agent="run", owner="admin", kind="dreamer", step=0, config={}, notes="",
                       sha256="ab" * 32, size=1000, game_version=GAME, active=True, created_at=NOW)
STRONG = SnapshotInfo(id=2, name="strong", agent="basic", owner="admin", kind="basic_strong", step=0, config={}, notes="",
                      sha256=None, size=0, game_version=GAME, active=True, created_at=NOW)


def test_a_trainer_built_with_the_link_draws_from_the_server_once_registered_and_reports_to_it(server, tmp_path):
    server.script["/api/opponents"] = [(201, wire(Registered(id=11, sha256="ab" * 32, created=True, opponent=LEARNER)))]
    server.script["/api/opponents/sample"] = [(200, wire([
        OpponentChoice(snapshot=LEARNER, source="latest_self", win_rate=None, weight=None),  # itself: skipped
        OpponentChoice(snapshot=STRONG, source="basic", win_rate=None, weight=None)]))]
    server.script["/api/agents/run/metrics"] = [(201, {"stored": 1})]
    client = LeagueClient(server.url, "t", retry=RetryPolicy(attempts=1))
    link = TrainerLink(client, "run", tmp_path / "cache", register_every=700, log=lambda _: None)
    link.metrics.flush_every = 3600.0
    config = make_config("debug", ["num_envs=2", "train_modes=1,0,0", "train_start=100000", "checkpoint_every=300",
                                   "log_every=100", "eval_every=100000"])
    checkpoints = []
    options = link.trainer_options()
    register = options["on_checkpoint"]
    options["on_checkpoint"] = lambda path, meta: (checkpoints.append(meta["step"]), register(path, meta))
    trainer = Trainer(config, tmp_path / "run", tensorboard=False, progress=False, **options)
    assert isinstance(trainer.opponents, ServerOpponentSource) and trainer.opponents is link.opponents
    trainer.run(2000)
    link.close()

    # checkpoints registered every `register_every` steps, the first one at once
    registered = [int(m) for _, path, _, body in server.requests if path == "/api/opponents"
                  for m in re.findall(rb'"step": (\d+)', body)]
    expected = []
    for step in checkpoints:
        if not expected or step - expected[-1] >= 700:
            expected.append(step)
    assert len(registered) >= 2 and registered == expected
    # the server is asked for opponents only once the learner is on it; its results stay the server's
    paths = [path.split("?")[0] for _, path, _, _ in server.requests]
    assert paths.index("/api/opponents") < paths.index("/api/opponents/sample")
    served = trainer.opponents.served
    assert served["server"] > 0 and served["local"] > 0
    # the last round may be cut at the step budget: a game still running then counts neither as a game
    # nor as a result, one that ended before it counts
    rounds = served["server"] + served["local"]
    assert 2 * (rounds - 1) <= trainer.counters["games"] <= 2 * rounds
    assert 2 * (served["local"] - 1) <= sum(entry.games for entry in trainer.opponents.pool.entries.values()) \
        <= 2 * served["local"]
    # every metrics line the trainer wrote was posted, in batches
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    posted = [entry for _, path, _, body in server.requests if path == "/api/agents/run/metrics"
              for entry in json.loads(body)["metrics"]]
    assert [entry["step"] for entry in posted] == [line["step"] for line in lines]
    assert posted[-1]["values"]["games"] == lines[-1]["games"]
    batches = sum(path == "/api/agents/run/metrics" for _, path, _, _ in server.requests)
    assert 1 <= batches <= len(checkpoints) + 1  # not yet due by time: posted at checkpoints and at the end
