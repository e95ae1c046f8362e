"""Domain errors raised by the league's service functions.

The HTTP layer maps them one to one: `NotFound` -> 404, `Conflict` -> 409,
`InvalidInput` -> 422, `InvalidToken` -> 401, `Forbidden` -> 403. Every message is meant
to be shown to the user as it is.
"""

from __future__ import annotations


class LeagueError(Exception):
    """Base class of every expected failure of a league service function."""

    status_code = 400


class NotFound(LeagueError):
    """The named thing (snapshot, agent, match, job, token, ...) does not exist."""

    status_code = 404


class Conflict(LeagueError):
    """The request clashes with the current state (a job leased to someone else, a taken name)."""

    status_code = 409


class InvalidInput(LeagueError):
    """The request itself is wrong (a self-match, a result with the wrong number of games, ...)."""

    status_code = 422


class InvalidToken(LeagueError):
    """No usable credentials: the token is missing, unknown or revoked (who is calling is not known)."""

    status_code = 401


class Forbidden(LeagueError):
    """The caller is known but may not do this."""

    status_code = 403
