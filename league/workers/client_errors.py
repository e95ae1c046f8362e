"""The errors `league.workers.client.LeagueClient` raises, one class per way a call can fail; their
messages are fit to print to a user."""

from __future__ import annotations

from typing import Any


class LeagueClientError(Exception):
    """Base of every error the client raises; `str(error)` is a message for a person."""

    def __init__(self, message: str, *, status_code: int | None = None, detail: Any = None):
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail


class ServerUnreachable(LeagueClientError):
    """No connection to the server could be made (after retrying), or it kept timing out."""


class ServerError(LeagueClientError):
    """The server answered 5xx (after retrying where that is safe)."""


class AuthenticationError(LeagueClientError):
    """401: the token is missing, unknown, revoked or malformed."""


class PermissionDenied(LeagueClientError):
    """403: the token is valid but its role may not do this."""


class NotFound(LeagueClientError):
    """404: the thing asked for does not exist."""


class Conflict(LeagueClientError):
    """409: the request conflicts with the server's state (e.g. a job leased to another worker)."""


class RequestRejected(LeagueClientError):
    """Any other 4xx: the request was malformed or refused (400, 413, 422, ...)."""


class IncompatibleServer(LeagueClientError):
    """The server plays by other game rules, or is not a league server at all."""


class UnexpectedAnswer(IncompatibleServer):
    """The server answered an endpoint (`endpoint`, e.g. "GET /api/health") in a shape this client
    does not know: a server of another version, or not a league server."""

    def __init__(self, message: str, *, endpoint: str, status_code: int | None = None):
        super().__init__(message, status_code=status_code)
        self.endpoint = endpoint
