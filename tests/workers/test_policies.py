"""Worker policies: jobs played from cached Dreamer weights, and forfeits for weights that fail their checks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import torch

from agents.checkpoint import save_checkpoint
from agents.config import make_config
from agents.hockey_dreamer import HockeyDreamer
from league.workers.policies import PolicyLoader
from league.workers.weights_cache import WeightsCache


@pytest.fixture(scope="module")
def dreamer_weights(tmp_path_factory):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = make_config("debug")
    path = save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny", HockeyDreamer(config), {"step": 1})
    return path.read_bytes(), config.to_dict()


def _job(ref_a, ref_b, n_games=4):
    return {
        "job_id": 1, "lease_id": "x", "attempt": 1, "worker": "w",
        "lease_expires_at": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
        "snapshot_a": ref_a, "snapshot_b": ref_b,
        "games": [{"index": i, "seed": 100 + i, "one_starting": i % 2 == 0, "a_is_player_one": i < n_games // 2}
                  for i in range(n_games)],
    }


def test_a_dreamer_job_is_played_from_the_cache(tmp_path, dreamer_weights):
    data, config = dreamer_weights
    sha = hashlib.sha256(data).hexdigest()
    fetched = []
    cache = WeightsCache(tmp_path, lambda snapshot_id: fetched.append(snapshot_id) or data)
    loader = PolicyLoader(cache)
    dreamer = {"id": 5, "name": "tiny@1", "kind": "dreamer", "sha256": sha, "config": config}
    basic = {"id": 2, "name": "basic_strong", "kind": "basic_strong", "sha256": None, "config": {}}
    assert loader.load(dreamer) is loader.load(dreamer)  # parsed once, kept by sha256
    result = loader.play_job(_job(dreamer, basic), record=True)
    assert fetched == [5]
    assert [g["index"] for g in result["games"]] == [0, 1, 2, 3]
    assert all(g["end_reason"] in ("goal", "time_limit") for g in result["games"])
    assert all(g["record"]["format"] == "hockey-game-record" for g in result["games"])


def test_weights_that_do_not_fit_the_config_forfeit(tmp_path, dreamer_weights):
    data, config = dreamer_weights
    sha = hashlib.sha256(data).hexdigest()
    loader = PolicyLoader(WeightsCache(tmp_path, lambda _: data))
    wrong = {"id": 5, "name": "broken", "kind": "dreamer", "sha256": sha, "config": {**config, "hidden": 48}}
    basic = {"id": 1, "name": "basic_weak", "kind": "basic_weak", "sha256": None, "config": {}}
    result = loader.play_job(_job(wrong, basic), record=False)
    games = result["games"]
    assert [g["end_reason"] for g in games] == ["forfeit"] * 4
    # the broken snapshot is a; it loses every game whichever side it played
    assert [g["winner"] for g in games] == [-1, -1, 1, 1]
    assert "broken" in games[0]["error"] and "do not match the declared config" in games[0]["error"]
