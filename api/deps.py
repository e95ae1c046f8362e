"""Dependencies shared by the routers: settings, a database session, and bearer-token roles.

`SessionDep` is a session from the app's session factory; write handlers commit inside the
league core's service functions (`league.core.db.write_transaction`), so the commit has happened
before the response is sent. Reads are public; `AdminDep`, `TrainerDep` and `WorkerDep`
require a bearer token of that role (an admin token may do everything).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from league.core.errors import InvalidToken
from league.core.settings import Settings
from league.core.tokens import verify_token


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API token (`league token create --role ROLE`) or the bootstrap LEAGUE_ADMIN_TOKEN.",
)


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the token's role and name (`token_id` None for the bootstrap admin)."""

    role: str
    name: str
    token_id: int | None


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def get_caller(
    settings: SettingsDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Caller:
    """The caller behind the `Authorization: Bearer ...` header; 401 when missing or not valid."""
    if credentials is None or not credentials.credentials:
        raise _unauthorized("this request needs a bearer token: send `Authorization: Bearer <token>`")
    try:
        token = verify_token(session, credentials.credentials, admin_token=settings.admin_token)
    except InvalidToken as error:
        raise _unauthorized(f"the bearer token is not valid: {error}") from None
    return Caller(role=token.role, name=token.name, token_id=token.id or None)


def require_role(*roles: str):
    """A dependency admitting tokens of `roles` (and admin tokens); 403 for other roles."""

    def dependency(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        if caller.role != "admin" and caller.role not in roles:
            allowed = " or ".join((*roles, "admin"))
            raise HTTPException(status_code=403, detail=f"a {caller.role} token may not do this; it needs {allowed}")
        return caller

    return dependency


AdminDep = Annotated[Caller, Depends(require_role("admin"))]
TrainerDep = Annotated[Caller, Depends(require_role("trainer"))]
WorkerDep = Annotated[Caller, Depends(require_role("worker"))]
