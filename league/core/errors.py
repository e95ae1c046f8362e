"""Domain errors raised by the league's service functions.

The HTTP layer answers with each error's `status_code`: `NotFound` -> 404, `Conflict` -> 409,
`InvalidInput` -> 422, `InvalidToken` -> 401, `Forbidden` -> 403, and `InvalidWeights` -> 422,
415 or 413 as the refusal says. Every message is meant to be shown to the user as it is.
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


class InvalidWeights(InvalidInput):
    """Uploaded weights refused: 422 malformed or not what the config builds, 415 a format that is
    never accepted (a pickle or zip, what `torch.save` writes), 413 larger than the upload cap."""

    def __init__(self, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
