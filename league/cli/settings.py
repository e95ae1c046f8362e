"""Settings classes read for a command: an invalid environment variable is a `CommandError` naming it."""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from league.cli.errors import CommandError

S = TypeVar("S", bound=BaseSettings)


def read_settings(kind: type[S], **overrides: object) -> S:
    """`kind(**overrides)` read from the environment; a `CommandError` naming every invalid variable and why."""
    try:
        return kind(**overrides)
    except ValidationError as error:
        prefix = str(kind.model_config.get("env_prefix", ""))
        # The values are not repeated: a token or a database URL with a password may be among them.
        problems = [f"{prefix}{'_'.join(str(part) for part in problem['loc']).upper()}: "
                    f"{problem['msg'].removeprefix('Value error, ')}" for problem in error.errors(include_url=False)]
        raise CommandError("invalid environment variable " + "; ".join(problems)) from None
