"""ONNX policies over a real `league serve`: exported models register, play rated games through a
real match worker and reach the leaderboard; hostile files are refused with a 4xx naming the
reason, and no byte of the server's files ever comes back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from agents.config import make_config
from agents.export_onnx import export_agent
from agents.hockey_dreamer import HockeyDreamer
from league.workers.client import LeagueClient, RetryPolicy
from league.workers.match_worker import MatchWorker
from league.workers.policies import PolicyLoader
from league.workers.weights_cache import WeightsCache
from tests.support import onnx_models as models
from tests.support.app_client import registration_files
from tests.support.live_server import running_server

pytestmark = pytest.mark.slow

ADMIN = "onnx-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
SECRET = b"SERVER-SECRET-16"  # 16 bytes: what the hostile models ask to read as their 4 weights


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A live server whose working directory and data directory both hold a secret file."""
    root = tmp_path_factory.mktemp("onnx-league")
    data_dir = root / "data"
    data_dir.mkdir()
    for place in (root, data_dir):
        (place / "secret.bin").write_bytes(SECRET)
    here = os.getcwd()
    os.chdir(root)  # the server's working directory: where onnxruntime resolves relative external data
    try:
        context = running_server(data_dir, ADMIN, extra_env={"LEAGUE_QUEUE_TARGET": "0",
                                                             "LEAGUE_GAMES_PER_MATCH": "2"})
        live = context.__enter__()
    finally:
        os.chdir(here)
    live.root = root
    try:
        yield live
    finally:
        context.__exit__(None, None, None)


def _post(server, data: bytes, **meta) -> httpx.Response:
    body = {"agent": "student", "kind": "onnx", "step": 0, **meta}
    return httpx.post(f"{server.url}/api/opponents", headers=AUTH, timeout=60,
                      files=registration_files(body, data, filename="policy.onnx"))


def _hostile(root: Path) -> dict[str, tuple[bytes, str]]:
    secret = str(root / "data" / "secret.bin")
    external = "keeps its data in an external file"
    return {
        "relative external data": (models.external_initializer_bytes("secret.bin"), external),
        "external data beside the database": (models.external_initializer_bytes("data/secret.bin"), external),
        "external data by absolute path": (models.external_initializer_bytes(secret), external),
        "external data up the tree": (models.external_initializer_bytes("../secret.bin"), external),
        "external data in a Constant": (models.external_constant_bytes("secret.bin"), external),
        "external data in an If branch": (models.external_in_branch_bytes("secret.bin"), external),
        "a constant 4000 x 4000 product": (models.constant_matmul_bytes(), "ConstantOfShape"),
        "ConstantOfShape of 10 GB": (models.ten_gigabytes_bytes(), "ConstantOfShape"),
        "a 200,000-node chain": (models.long_chain_bytes(), "200004 nodes"),
        "an outer product without bound": (models.outer_product_bytes(), "per observation"),
        "40 nested If": (models.nested_if_bytes(40), "nested too deeply"),
        "a custom domain": (models.custom_domain_bytes(), "operator domain 'evil.ops'"),
        "a com.microsoft contrib op": (models.contrib_op_bytes(), "operator domain 'com.microsoft'"),
        "a model-local function": (models.local_function_bytes(), "model-local functions"),
    }


def test_hostile_files_are_refused_and_no_server_byte_leaves(server):
    for what, (data, reason) in _hostile(server.root).items():
        answer = _post(server, data)
        assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text, server.log()[-3000:])
        detail = answer.json()["detail"]
        assert reason in detail and detail.startswith("the ONNX model is refused: "), (what, detail)
        assert SECRET not in answer.content, what
    listed = httpx.get(f"{server.url}/api/opponents", params={"limit": 500}).json()
    assert [item["kind"] for item in listed["items"]] == ["basic_strong", "basic_weak"]  # nothing was stored
    assert "Traceback" not in server.log() and SECRET.decode() not in server.log()


def _run_worker(server, tmp_path: Path, name: str, token: str = ADMIN) -> list[dict]:
    """Play every queued job with a real match worker; the results it reported."""
    client = LeagueClient(server.url, token, retry=RetryPolicy(attempts=2))
    reported: list[dict] = []

    class Recording(PolicyLoader):
        def play_job(self, job, *, record=True):
            result = super().play_job(job, record=record)
            reported.append(result)
            return result

    loader = Recording(WeightsCache(tmp_path / f"cache-{name}", client.opponent_weights))
    MatchWorker(client, name, loader, poll_interval=0.1, idle_exit=1.0, log=lambda message: None).run()
    client.close()
    return reported


def test_exported_policies_register_play_rated_games_and_reach_the_leaderboard(server, tmp_path, monkeypatch):
    mlp_file = tmp_path / "mlp.onnx"
    mlp_file.write_bytes(models.mlp_bytes(seed=1))
    env = {**os.environ, "LEAGUE_SERVER_URL": server.url, "LEAGUE_TOKEN": ADMIN}
    cli = subprocess.run([sys.executable, "-m", "league", "register", str(mlp_file), "--agent", "mlp-student",
                          "--step", "10", "--notes", "an MLP actor"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.startswith("registered mlp-student@10 (id ") and "kind onnx" in cli.stdout
    uploads = {"gru-student": models.gru_bytes(seed=2), "lstm-student": models.lstm_bytes(seed=3),
               "dreamer-onnx": export_agent(HockeyDreamer(make_config("debug"))), "nan-student": models.nan_bytes()}
    for agent, data in uploads.items():
        answer = _post(server, data, agent=agent, notes="no config: the file describes itself")
        assert answer.status_code == 201, answer.text
        assert answer.json()["opponent"]["kind"] == "onnx" and answer.json()["opponent"]["config"] == {}
    assert _post(server, uploads["gru-student"], agent="again").status_code == 200  # stored once per sha256

    reported = _run_worker(server, tmp_path, "onnx-worker")
    assert len(reported) == 10  # two placement matches for each of the five

    board = {row["name"]: row for row in httpx.get(f"{server.url}/api/leaderboard").json()}
    for name in ("mlp-student@10", "gru-student@0", "lstm-student@0", "dreamer-onnx@0"):
        row = board[name]
        assert (row["games"], row["forfeits"], row["kind"]) == (4, 0, "onnx"), row
        assert row["mu"] != 25.0  # rated
    nan_games = [game for result in reported for game in result["games"] if game["end_reason"] == "forfeit"]
    assert len(nan_games) == 4 and all("NaN" in game["error"] for game in nan_games)
    nan = board["nan-student@0"]
    assert nan["games"] == 0  # a worker's forfeits wait for a second worker to confirm them
    made = httpx.post(f"{server.url}/api/tokens", json={"name": "second", "role": "worker", "user": "admin"},
                      headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
    second = made.json()["plaintext"]
    checks = _run_worker(server, tmp_path, "second-worker", token=second)
    assert len(checks) == 2  # it plays the two matches with forfeits again, and they agree
    nan = {row["name"]: row for row in httpx.get(f"{server.url}/api/leaderboard").json()}["nan-student@0"]
    assert (nan["games"], nan["losses"], nan["forfeits"]) == (4, 4, 4)
    page = httpx.get(f"{server.url}/").text
    assert "mlp-student@10" in page and "dreamer-onnx@0" in page

    # A model slower than the worker's time budget loses its games by forfeit, and the worker goes on.
    assert _post(server, models.slow_bytes(), agent="slow-student").status_code == 201
    monkeypatch.setenv("LEAGUE_ONNX_STEP_BUDGET_MS", "0.01")
    monkeypatch.setenv("LEAGUE_ONNX_STEP_GRACE_MS", "0")
    reported = _run_worker(server, tmp_path, "strict-worker")
    assert len(reported) == 2
    games = [game for result in reported for game in result["games"]]
    assert all(game["end_reason"] == "forfeit" and "over the budget" in game["error"] for game in games)
    slow = {row["name"]: row for row in httpx.get(f"{server.url}/api/leaderboard").json()}["slow-student@0"]
    assert slow["games"] == 0  # until another worker confirms: a budget is a machine's, not the model's
    assert len(_run_worker(server, tmp_path, "second-worker", token=second)) == 2
    slow = {row["name"]: row for row in httpx.get(f"{server.url}/api/leaderboard").json()}["slow-student@0"]
    assert (slow["games"], slow["losses"], slow["forfeits"]) == (4, 4, 4)
