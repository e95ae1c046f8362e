"""Settings read for a command: an invalid environment variable is a `CommandError` that names it."""

from __future__ import annotations

import pytest

from league.cli import main
from league.cli.errors import CommandError
from league.cli.settings import read_settings
from league.core.settings import Settings
from league.workers.settings import WorkerSettings


def test_valid_settings_are_returned(monkeypatch):
    monkeypatch.setenv("LEAGUE_SERVER_URL", "http://127.0.0.1:8000")
    assert read_settings(WorkerSettings).server_url == "http://127.0.0.1:8000"


def test_every_invalid_variable_is_named_and_no_value_is_repeated(monkeypatch):
    monkeypatch.setenv("LEAGUE_GAMES_PER_MATCH", "3")
    monkeypatch.setenv("LEAGUE_LEASE_SECONDS", "soon")
    with pytest.raises(CommandError) as caught:
        read_settings(Settings)
    message = str(caught.value)
    assert message.startswith("invalid environment variable ")
    assert "LEAGUE_LEASE_SECONDS: Input should be a valid number" in message
    assert "LEAGUE_GAMES_PER_MATCH: games_per_match must be even" in message
    assert "soon" not in message


def test_a_command_whose_options_come_from_an_invalid_variable_fails_cleanly(monkeypatch, capsys):
    monkeypatch.setenv("LEAGUE_TOKEN", "two\nlines")
    assert main(["match-worker", "--help"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("league match-worker: error: invalid environment variable LEAGUE_TOKEN: ")
    assert "two" not in err
