"""Dependencies shared by the routers: settings, a database session, and bearer-token roles.

`SessionDep` is a session from the app's session factory; write handlers commit inside the
league core's service functions (`league.core.db.write_transaction`), so the commit has happened
before the response is sent. Reads are public; `AdminDep`, `TrainerDep` and `WorkerDep`
require a bearer token of that role (an admin token may do everything). What a caller may change
beyond its role (only its own user's lineages) is checked by the core with `caller.actor`; a
worker's leases are its token's (`caller.token_id`). The caller is left in the request's state
for the audit log (`api.audit`).
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
from league.core.users import ADMIN_USER, Actor


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API token (`league token create --user USER --role ROLE`) or the bootstrap LEAGUE_ADMIN_TOKEN.",
)


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the token's role, name and id, and the user it belongs to."""

    role: str
    name: str
    token_id: int | None
    user: str = ADMIN_USER

    @property
    def actor(self) -> Actor:
        """The caller as the league core's service functions take it (for ownership checks)."""
        return Actor(user=self.user, is_admin=self.role == "admin", token_id=self.token_id)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def token_refused(error: InvalidToken, base_url: str, settings: Settings) -> str:
    """The 401 message for a token this league does not accept. It names the league that answered (its
    URL, and its data directory when its database lives there), so a token made for another league
    (another `--data-dir`, another port) is easy to spot."""
    where = f"the league at {base_url}"
    if not settings.database_url:
        where += f" (data directory {settings.data_dir.resolve()})"
    return f"the bearer token is not valid: {error}; this is {where}, and a token is valid only in the league " \
           "whose database made it"


def get_caller(
    request: Request,
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
        raise _unauthorized(token_refused(error, str(request.base_url), settings)) from None
    caller = Caller(role=token.role, name=token.name, token_id=token.id or None, user=token.user)
    request.state.caller = caller  # for the audit log (`api.audit`)
    return caller


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
