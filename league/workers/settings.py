"""The workers' settings: one pydantic-settings class, read from `LEAGUE_*` environment variables.

A match worker or a connected trainer needs to know where the server is, which token to send and
where to keep downloaded weights. Command-line options override these; an empty variable counts
as unset.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from league.workers.client import normalise_base_url

DEFAULT_DATA_DIR = Path("./league-data")


class WorkerSettings(BaseSettings):
    """Every knob a worker reads from its environment. Variables are named `LEAGUE_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="LEAGUE_", extra="ignore")

    server_url: str | None = Field(None, description="the league server, e.g. http://127.0.0.1:8000")
    token: str | None = Field(None, description="the bearer token the worker sends")
    data_dir: Path = Field(DEFAULT_DATA_DIR, description="the league's data directory")
    cache_dir: Path | None = Field(None, description="weights cache; default: `weights-cache` under `data_dir`")
    match_batch: int = Field(32, ge=1, le=64, description=(
        "matches a match worker claims and plays at once, all in one lock step (1: one job at a time)"))

    @field_validator("server_url", "token", "cache_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("data_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return DEFAULT_DATA_DIR if isinstance(value, str) and not value.strip() else value

    @field_validator("server_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            normalise_base_url(value)  # raises ValueError with the reason
        return value

    @field_validator("token")
    @classmethod
    def _header_safe(cls, value: str | None) -> str | None:
        if value is not None and not (value.isascii() and value.isprintable()):
            raise ValueError("a token is printable ASCII (no line breaks, tabs or other control characters)")
        return value

    def weights_cache_dir(self) -> Path:
        """Where downloaded weights are kept: `cache_dir`, else `weights-cache` under `data_dir`."""
        return self.cache_dir or self.data_dir / "weights-cache"
