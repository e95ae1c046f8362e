"""`league up` registers the committed checkpoints into a fresh league, once."""

from __future__ import annotations

import json

import pytest
import torch

from agents.checkpoint import save_checkpoint
from agents.config import make_config
from agents.hockey_dreamer import HockeyDreamer
from league.cli.up import register_checkpoints
from league.workers.client import LeagueClient
from tests.support.live_server import running_server

ADMIN = "checkpoints-test-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"


@pytest.fixture
def checkpoints(tmp_path):
    torch.set_num_threads(1)
    directory = tmp_path / "checkpoints"
    save_checkpoint(directory / "trained", HockeyDreamer(make_config("debug")), {"step": 1234})
    (directory / "broken.safetensors").write_bytes(b"not weights")
    (directory / "broken.json").write_text("{not json")
    return directory


def test_committed_checkpoints_join_the_pool_once(tmp_path, checkpoints):
    with running_server(tmp_path / "league", ADMIN) as server, LeagueClient(server.url, ADMIN) as client:
        messages: list[str] = []
        first = register_checkpoints(client, checkpoints, say=messages.append)
        assert len(first) == 1 and first[0].created is True
        assert any("could not register broken.safetensors" in m for m in messages)
        again = register_checkpoints(client, checkpoints, say=messages.append)
        assert again[0].id == first[0].id and again[0].created is False
        board = {row.kind: row for row in client.leaderboard()}
        assert set(board) == {"basic_weak", "basic_strong", "dreamer"}
        opponent = client.get_opponent(first[0].id)
        assert opponent.step == 1234 and opponent.agent == "committed-trained"
        meta = json.loads((checkpoints / "trained.json").read_text())
        assert opponent.config == meta["config"]


def test_a_missing_checkpoint_directory_registers_nothing(tmp_path):
    assert register_checkpoints(None, tmp_path / "nowhere", say=print) == []
