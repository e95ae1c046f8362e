"""The gateway's settings, from `LEAGUE_GATEWAY_*` environment variables (the server address and
token as for workers: `LEAGUE_SERVER_URL`, `LEAGUE_GATEWAY_TOKEN` or `LEAGUE_TOKEN`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """Every knob of the gateway: where it listens, what a connection may cost, how matches are timed."""

    model_config = SettingsConfigDict(env_prefix="LEAGUE_GATEWAY_", extra="ignore")

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8765, ge=0, le=65535, description="port to listen on (0: any free one)")
    name: str = Field("gateway", description="the gateway's worker name, as match workers have one")
    step_deadline_s: float = Field(1.0, gt=0, description=(
        "longest one answer may take; past it the agent forfeits every unfinished game it plays"))
    time_bank_s: float = Field(20.0, gt=0, description=(
        "time an agent's answers may take in all during one match; once spent it forfeits that match's "
        "unfinished games"))
    hello_timeout_s: float = Field(5.0, gt=0, description="time a new connection has to say hello")
    max_connections: int = Field(200, ge=1, description="open connections in all, before hello included")
    max_connections_per_user: int = Field(8, ge=1, description="authenticated connections of one user")
    max_frame_bytes: int = Field(1 << 20, ge=1024, description="largest message a client may send")
    matches_per_agent: int = Field(4, ge=1, le=64, description="matches one connected agent plays at once")
    poll_s: float = Field(0.5, gt=0, description="how often the gateway claims jobs for agents with room")
