"""The league's settings: one pydantic-settings class, read from `LEAGUE_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the league service. Environment variables are named `LEAGUE_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="LEAGUE_", extra="ignore")

    data_dir: Path = Field(Path("./league-data"), description="directory for the SQLite file and other state")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file `league.db` under `data_dir`"
    )
    admin_token: str | None = Field(None, description="bootstrap admin bearer token (optional)")
    upload_max_bytes: int = Field(64 * 1024 * 1024, gt=0, description="largest weights upload accepted")
    lease_seconds: float = Field(300.0, gt=0, description="how long a claimed match job stays leased")
    max_attempts: int = Field(3, ge=1, description="leases a job gets before it is marked failed")
    queue_target: int = Field(8, ge=0, description="match jobs matchmaking keeps queued")
    games_per_match: int = Field(4, ge=2, description="games in a match (even: sides and starts alternate)")
    placement_games: int = Field(8, ge=0, description="games a new snapshot plays before regular matchmaking")
    worker_seen_seconds: float = Field(60.0, gt=0, description="a worker counts as live this long after contact")

    @field_validator("games_per_match")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("games_per_match must be even: sides and starts alternate in pairs")
        return value

    def resolved_database_url(self) -> str:
        """The database URL to use: `database_url`, or the SQLite file under `data_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'league.db').resolve()}"
