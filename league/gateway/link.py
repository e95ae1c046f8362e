"""The gateway's HTTP client of the league server: `LeagueClient` plus the remote-agent endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from league.core.remote_schemas import GatewayInfo, RemoteAgentInfo, RemoteConnected, RemoteJobs
from league.core.schemas import JobAssignment
from league.workers.client import LeagueClient

_AGENTS = TypeAdapter(list[RemoteAgentInfo])


class GatewayLink(LeagueClient):
    """A `LeagueClient` with the gateway's worker token, and the calls only the gateway makes."""

    def gateway_info(self) -> GatewayInfo:
        return self._answer(GatewayInfo.model_validate, "GET", "/api/gateway")

    def connect_remote(self, user_token: str, agent: str, version: str) -> RemoteConnected:
        """`POST /api/remote/connect` with the connecting program's token (not the gateway's): the
        server decides whose it is and whether that user may play as `agent`."""
        return self._answer(RemoteConnected.model_validate, "POST", "/api/remote/connect",
                            json={"agent": agent, "version": version}, idempotent=True,
                            headers={"Authorization": f"Bearer {user_token}"})

    def presence(self, *, online: list[int] | None = None, offline: list[int] | None = None
                 ) -> list[RemoteAgentInfo]:
        body: dict[str, Any] = {"online": list(online or []), "offline": list(offline or [])}
        return self._answer(_AGENTS.validate_python, "POST", "/api/remote/presence", json=body, idempotent=True)

    def claim_remote(self, play_for: list[int], connected: list[int], count: int) -> list[JobAssignment]:
        body = {"play_for": play_for, "connected": connected, "count": count}
        return self._answer(RemoteJobs.model_validate, "POST", "/api/remote/claim", json=body).jobs
