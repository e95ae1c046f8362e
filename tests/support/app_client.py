"""Helpers for tests and benchmarks of the server: valid weights for a config, multipart bodies.

Weights are random tensors with exactly the names, dtypes and shapes that
`agents.checkpoint.expected_tensor_specs(config)` asks for, saved with safetensors.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from safetensors.numpy import save

NUMPY_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64,
                "U8": np.uint8, "I8": np.int8, "BOOL": np.bool_}


def debug_config() -> dict[str, Any]:
    """The agent's tiny `debug` preset as the JSON dict a checkpoint carries."""
    from agents.config import make_config

    return make_config("debug").to_dict()


def weights_for(config: dict[str, Any], seed: int = 0, specs: dict | None = None) -> bytes:
    """Random safetensors bytes that pass the upload checks for `config` (`seed` makes them distinct)."""
    if specs is None:
        from agents.checkpoint import expected_tensor_specs

        specs = expected_tensor_specs(config)
    rng = np.random.default_rng(seed)
    tensors = {
        name: np.asarray(rng.standard_normal(shape) * 0.1).astype(NUMPY_DTYPES[dtype])
        for name, (dtype, shape) in specs.items()
    }
    return save(tensors)


def registration_files(meta: dict[str, Any], weights: bytes, filename: str = "snapshot.safetensors") -> dict:
    """The multipart `files=` argument of an httpx registration request."""
    return {
        "meta": (None, json.dumps(meta), "application/json"),
        "weights": (filename, weights, "application/octet-stream"),
    }


def synthetic_result(job: dict[str, Any], a_outcome: int = 1) -> dict[str, Any]:
    """A valid result body for a claimed job in which snapshot a wins (+1), draws (0) or loses (-1) every game.

    The games are really played (not by the job's snapshots: by policies that reach the wanted
    outcome, `tests.support.played_games`), so their records replay on the server. This exercises the
    server's bookkeeping, not the snapshots.
    """
    from tests.support.played_games import played_report

    games = []
    for game in job["games"]:
        winner = a_outcome if game["a_is_player_one"] else -a_outcome
        games.append(played_report(game["index"], game["seed"], game["one_starting"], winner))
    return {"lease_id": job["lease_id"], "games": games}


TEST_ADMIN_TOKEN = "admin-secret-for-tests-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"
ADMIN_HEADERS = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}


def make_test_client(database_url: str, data_dir, **settings: Any):
    """An in-process client of a fresh app on `database_url`, with `ADMIN_HEADERS` as its admin token.

    `settings` override `Settings` fields (queue_target defaults to 2, check_share to 0). Use it as a context manager.
    """
    import warnings

    from api.app import create_app
    from league.core.settings import Settings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    settings.setdefault("queue_target", 2)
    settings.setdefault("check_share", 0.0)  # no random checks by other workers unless a test asks for them
    app = create_app(Settings(data_dir=data_dir, database_url=database_url, admin_token=TEST_ADMIN_TOKEN,
                              **settings))
    return TestClient(app)
