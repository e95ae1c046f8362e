"""The league's settings: one pydantic-settings class, read from `LEAGUE_*` environment variables."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ADMIN_TOKEN_MIN_LENGTH = 32
ADMIN_TOKEN_MIN_BITS = 100.0  # 32 random hex characters score about 119, 32 random bytes in base64 208


def estimated_bits(secret: str) -> float:
    """A rough upper bound of a secret's entropy: its length times the entropy of the frequencies of its
    own characters (32 random bytes in base64 or hex score about 200; 'aaaa...' or a phrase score low)."""
    if not secret:
        return 0.0
    counts = Counter(secret).values()
    return max(0.0, -sum(n * math.log2(n / len(secret)) for n in counts))


def check_admin_token(secret: str) -> str:
    """`secret` if it is strong enough for the bootstrap admin token, else `ValueError` saying why."""
    bits = estimated_bits(secret)
    if len(secret) < ADMIN_TOKEN_MIN_LENGTH or bits < ADMIN_TOKEN_MIN_BITS:
        raise ValueError(
            f"the admin token must be at least {ADMIN_TOKEN_MIN_LENGTH} characters of random text, about "
            f"{ADMIN_TOKEN_MIN_BITS:.0f} bits or more (this one: {len(secret)} characters, about {bits:.0f} bits); "
            "make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`")
    return secret


class Settings(BaseSettings):
    """Every knob of the league service. Environment variables are named `LEAGUE_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="LEAGUE_", extra="ignore")

    data_dir: Path = Field(Path("./league-data"), description="directory for the SQLite file and other state")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file `league.db` under `data_dir`"
    )
    admin_token: str | None = Field(None, description=(
        "bootstrap admin bearer token (optional): at least 32 characters and about 100 bits of randomness; "
        "revoke it like any token once a real admin token exists"))
    upload_max_bytes: int = Field(64 * 1024 * 1024, gt=0, description="largest weights upload accepted")
    lease_seconds: float = Field(300.0, gt=0, description="how long a claimed match job stays leased")
    max_attempts: int = Field(3, ge=1, description="leases a job gets before it is marked failed")
    queue_target: int = Field(8, ge=0, description="match jobs matchmaking keeps queued")
    games_per_match: int = Field(4, ge=2, description="games in a match (even: sides and starts alternate)")
    placement_games: int = Field(8, ge=0, description="games a new snapshot plays before regular matchmaking")
    plan_recurrence: float = Field(1.0, ge=0, le=10, description=(
        "how much matchmaking favours pairs of snapshots already in the matches it is planning (bigger batches "
        "for match workers): a pair's value times 1 + this per member already planned; 0 for none"))
    worker_seen_seconds: float = Field(60.0, gt=0, description="a worker counts as live this long after contact")
    check_share: float = Field(0.05, ge=0, le=1, description=(
        "share of match results played again by a different worker and compared (a worker whose games do not "
        "reproduce loses all its results); a result with a forfeit is always checked"))
    check_wait_s: float = Field(86400.0, gt=0, description=(
        "longest a check waits for a worker that may play it (not one whose result it compares); then it is "
        "dropped and the result stands unchecked"))
    max_deliveries: int = Field(10, ge=1, description=(
        "claims a job gets in all (released ones included) before it is marked failed, so that a job no "
        "worker can finish never blocks the queue"))

    # -- remote agents (league/gateway, docs/remote-protocol.md) --
    gateway_url: str | None = Field(None, description=(
        "the agent gateway's public WebSocket address (ws://... or wss://...), told to `league connect` "
        "by GET /api/gateway; none: this league takes no remote agents"))
    remote_online_seconds: float = Field(15.0, gt=0, description=(
        "a remote snapshot counts as online this long after the gateway last said so"))

    # -- what the server accepts: request sizes and rates (README, "What the server promises") --
    json_max_bytes: int = Field(64 * 1024, gt=0, description="largest JSON body of a write without its own limit")
    result_max_bytes: int = Field(8 * 2**20, gt=0, description=(
        "largest match result body: a 100-game match with a record per game (about 50 KiB each)"))
    metrics_max_bytes: int = Field(4 * 2**20, gt=0, description="largest training metrics body")
    record_max_bytes: int = Field(256 * 1024, gt=0, description=(
        "largest game record, as compact JSON (a whole 251-step normal game is about 50 KiB)"))
    dreamer_max_parameters: int = Field(16 * 2**20, gt=0, description=(
        "most parameters a dreamer config may build (64 MiB of float32); each config field has its own "
        "bounds as well (agents.config.FIELD_BOUNDS)"))
    write_rate_per_s: float = Field(20.0, gt=0, description="writes per second one token may sustain")
    write_burst: int = Field(100, ge=1, description="writes one token may send at once before the rate applies")
    read_concurrency: int = Field(4, ge=1, description="public reads computed at once; more wait their turn")
    read_queue: int = Field(500, ge=0, description="public reads that may wait; more are answered 503")
    read_cache_ttl_s: float = Field(1.0, ge=0, description=(
        "longest a cached leaderboard is served; on PostgreSQL it bounds how stale one can get should a "
        "change notice between server processes be lost (0: nothing is cached)"))

    # -- connections (`league serve`) --
    header_timeout_s: float = Field(10.0, gt=0, description="time a client has to send a request's headers")
    body_timeout_s: float = Field(120.0, gt=0, description="time a client has to send a request's whole body")
    keep_alive_s: float = Field(5.0, gt=0, description="an idle keep-alive connection is closed after this")
    max_connections: int = Field(1000, ge=1, description=(
        "open connections (and requests in progress) before new requests are answered 503"))
    max_header_bytes: int = Field(16 * 1024, gt=0, description="largest request line plus headers")

    @field_validator("admin_token")
    @classmethod
    def _strong(cls, value: str | None) -> str | None:
        return check_admin_token(value) if value else None

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
