"""Bounds of the league core's input values: they hold whoever builds the value (API or Python)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from league.core.errors import InvalidInput
from league.core.metrics import record_metrics
from league.core.schemas import MAX_GAMES_PER_MATCH, MAX_STEP, GameReport, MetricBatch


def test_a_metric_step_over_the_database_integer_range_is_refused():
    assert MetricBatch(step=MAX_STEP, values={"loss": 1.0}).step == MAX_STEP
    with pytest.raises(ValidationError, match="less than or equal"):
        MetricBatch(step=MAX_STEP + 1, values={"loss": 1.0})


def test_record_metrics_refuses_an_oversized_step_with_a_clear_error(session):
    with pytest.raises(InvalidInput, match="(?s)malformed metrics batch.*less than or equal"):
        record_metrics(session, "run", [{"step": 2**64, "values": {"loss": 1.0}}])


def test_a_game_index_is_below_the_most_games_a_match_has():
    report = {"winner": 0, "length": 10, "end_reason": "time_limit"}
    assert GameReport(index=MAX_GAMES_PER_MATCH - 1, **report).index == MAX_GAMES_PER_MATCH - 1
    for index in (MAX_GAMES_PER_MATCH, 2**63):
        with pytest.raises(ValidationError, match="less than"):
            GameReport(index=index, **report)


def test_the_api_refuses_an_oversized_metric_step_with_422(tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from league.core.settings import Settings

    admin = "adm-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1Tr5Wy0"  # the server refuses a weak admin token
    app = create_app(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'l.db'}", admin_token=admin))
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {admin}"}
        too_big = client.post("/api/agents/run/metrics", headers=headers,
                              json={"metrics": [{"step": MAX_STEP + 1, "values": {"loss": 1.0}}]})
        assert too_big.status_code == 422 and "step" in too_big.text
        stored = client.post("/api/agents/run/metrics", headers=headers,
                             json={"metrics": [{"step": MAX_STEP, "values": {"loss": 1.0}}]})
        assert stored.status_code == 201 and stored.json() == {"stored": 1}
        assert client.get("/api/agents/run/metrics").json()[0]["step"] == MAX_STEP
