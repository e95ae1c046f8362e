"""The workers' settings, read from `LEAGUE_*` environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from league.workers.settings import WorkerSettings

VARIABLES = ("LEAGUE_SERVER_URL", "LEAGUE_TOKEN", "LEAGUE_DATA_DIR", "LEAGUE_CACHE_DIR")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_without_any_variable():
    settings = WorkerSettings()
    assert (settings.server_url, settings.token, settings.cache_dir) == (None, None, None)
    assert settings.weights_cache_dir() == Path("./league-data") / "weights-cache"


def test_variables_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("LEAGUE_SERVER_URL", "https://league.example:8443/api")
    monkeypatch.setenv("LEAGUE_TOKEN", "lg_abc")
    monkeypatch.setenv("LEAGUE_DATA_DIR", str(tmp_path))
    settings = WorkerSettings()
    assert (settings.server_url, settings.token) == ("https://league.example:8443/api", "lg_abc")
    assert settings.weights_cache_dir() == tmp_path / "weights-cache"
    monkeypatch.setenv("LEAGUE_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert WorkerSettings().weights_cache_dir() == tmp_path / "elsewhere"


def test_empty_variables_count_as_unset(monkeypatch):
    for name in VARIABLES:
        monkeypatch.setenv(name, "")
    settings = WorkerSettings()
    assert (settings.server_url, settings.token, settings.cache_dir) == (None, None, None)
    assert settings.weights_cache_dir() == Path("./league-data") / "weights-cache"


@pytest.mark.parametrize("name,value,message", [
    ("LEAGUE_SERVER_URL", "league-host:8000", "must start with http:// or https://"),
    ("LEAGUE_SERVER_URL", "ftp://league-host", "must start with http:// or https://"),
    ("LEAGUE_TOKEN", "lg_abc\n", "printable ASCII"),
    ("LEAGUE_TOKEN", "lg_\u00e9", "printable ASCII"),
])
def test_invalid_values_are_refused(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        WorkerSettings()
