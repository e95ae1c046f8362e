"""Users of the league, and who may change what.

A user has a name and holds tokens (`league.core.tokens`); `admin` always exists (the migration
makes it) and owns the built-in opponents, the bootstrap admin token and everything made before
users existed. A lineage (`Agent`) belongs to the user who first registered into it or posted its
metrics: only that user or an admin registers snapshots into it, retires or re-activates them, or
posts its metrics. The built-in opponents are admin-only.

A user's page (its lineages and their best ratings) is read by `league.core.lineages.user_detail`.
`Actor` is who makes a write, as the service functions take it: `None` there means the league's
own operator (the command line on the server's machine, or a test), who may do everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from league.core.models import Agent, User
from league.core.schemas import UserInfo

ADMIN_USER = "admin"
BUILTIN_AGENT = "builtin"
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
USER_NAME_RULE = "1 to 40 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit"


@dataclass(frozen=True)
class Actor:
    """Who makes a write: a user, through a token (`token_id` None for none), as an admin or not."""

    user: str
    is_admin: bool
    token_id: int | None = None


def check_user_name(name: str) -> str:
    if not isinstance(name, str) or not USER_NAME.fullmatch(name):
        raise InvalidInput(f"a user name is {USER_NAME_RULE}; {name!r} is not one")
    return name


def _info(user: User) -> UserInfo:
    return UserInfo(id=user.id, name=user.name, created_at=user.created_at)


def find_user(session: Session, name: str) -> User:
    """The user called `name`; `NotFound` if there is none."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user named {name!r} (make one with `league user create NAME` or POST /api/users)")
    return user


def create_user(session: Session, name: str) -> UserInfo:
    """A new user; `Conflict` if the name is taken, `InvalidInput` for a malformed name."""
    name = check_user_name(name)
    with write_transaction(session):
        if session.scalar(select(User.id).where(User.name == name)) is not None:
            raise Conflict(f"a user named {name!r} exists already")
        user = User(name=name)
        session.add(user)
        try:
            session.flush()
        except IntegrityError:  # made concurrently
            raise Conflict(f"a user named {name!r} exists already") from None
        return _info(user)


def list_users(session: Session) -> list[UserInfo]:
    return [_info(u) for u in session.scalars(select(User).order_by(User.name))]


def get_user(session: Session, name: str) -> UserInfo:
    return _info(find_user(session, name))


def owner_for_new_lineage(session: Session, by: Actor | None) -> User:
    """The user a lineage made now belongs to: the actor's user, or `admin` for the league itself."""
    return find_user(session, by.user if by is not None else ADMIN_USER)


def check_may_change(agent: Agent, by: Actor | None, what: str) -> None:
    """`Forbidden` unless `by` may change lineage `agent` (its owner or an admin; the built-in
    opponents only an admin). `what` says what was tried, for the message."""
    if by is None or by.is_admin:
        return
    if agent.name == BUILTIN_AGENT:
        raise Forbidden(f"only an admin may {what} of the built-in opponents")
    if agent.owner.name != by.user:
        raise Forbidden(f"lineage {agent.name!r} belongs to {agent.owner.name!r}: only its owner or an admin "
                        f"may {what}")
