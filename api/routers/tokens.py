"""API tokens (admin only): create, list, revoke and rotate. A new token's plaintext is shown once.

Every token belongs to a user (`POST /api/users` makes one). The bootstrap admin token
(`LEAGUE_ADMIN_TOKEN`) is listed too and is revoked like any other, at once and without a restart;
the last active admin token cannot be revoked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminDep, SessionDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from api.params import NAME_PATTERN, IdPath
from league.core import tokens
from league.core.schemas import NewToken, Role, TokenInfo
from league.core.users import USER_NAME, USER_NAME_RULE

router = APIRouter(prefix="/api/tokens", tags=["tokens"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=NAME_PATTERN, description="what the token is for, e.g. the worker's host")
    role: Role
    user: str = Field(pattern=USER_NAME.pattern, description=f"the user it belongs to ({USER_NAME_RULE})")
    replace: bool = Field(False, description="revoke the user's active tokens of this name and role first")


@router.get("", response_model=list[TokenInfo])
def list_tokens(session: SessionDep, caller: AdminDep,
                include_revoked: Annotated[bool, Query(description="also list revoked tokens")] = False,
                user: Annotated[str | None, Query(pattern=USER_NAME.pattern, description="only this user's")] = None):
    """Every token (never the plaintext, only a short prefix), with its user."""
    return tokens.list_tokens(session, include_revoked=include_revoked, user=user)


@router.post("", response_model=NewToken, status_code=201)
def create_token(http: Request, session: SessionDep, caller: AdminDep, request: TokenRequest):
    """A new token of a user for a role; `plaintext` is in this answer only (404 for an unknown user)."""
    made = tokens.create_token(session, request.name, request.role, request.user, replace=request.replace)
    http.state.audit_detail = f"token {made.token.id} ({made.token.role} of {made.token.user}: {made.token.name})"
    return made


@router.post("/{token_id:int}/revoke", response_model=TokenInfo)
def revoke_token(session: SessionDep, caller: AdminDep, token_id: IdPath):
    """Revoke a token: it is refused from now on (409 for the last active admin token)."""
    return tokens.revoke_token(session, token_id)


@router.post("/{token_id:int}/rotate", response_model=NewToken)
def rotate_token(session: SessionDep, caller: AdminDep, token_id: IdPath):
    """Revoke a token and return a new one with the same name, role and user."""
    return tokens.rotate_token(session, token_id)
