"""API tokens (admin only): create, list, revoke and rotate. A new token's plaintext is shown once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminDep, SessionDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from api.params import NAME_PATTERN, IdPath
from league.core import tokens
from league.core.schemas import NewToken, Role, TokenInfo

router = APIRouter(prefix="/api/tokens", tags=["tokens"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=NAME_PATTERN, description="what the token is for, e.g. the worker's host")
    role: Role


@router.get("", response_model=list[TokenInfo])
def list_tokens(session: SessionDep, caller: AdminDep,
                include_revoked: Annotated[bool, Query(description="also list revoked tokens")] = False):
    """Every token (never the plaintext, only a short prefix)."""
    return tokens.list_tokens(session, include_revoked=include_revoked)


@router.post("", response_model=NewToken, status_code=201)
def create_token(session: SessionDep, caller: AdminDep, request: TokenRequest):
    """A new token for a role; `plaintext` is in this answer only."""
    return tokens.create_token(session, request.name, request.role)


@router.post("/{token_id:int}/revoke", response_model=TokenInfo)
def revoke_token(session: SessionDep, caller: AdminDep, token_id: IdPath):
    """Revoke a token: it is refused from now on."""
    return tokens.revoke_token(session, token_id)


@router.post("/{token_id:int}/rotate", response_model=NewToken)
def rotate_token(session: SessionDep, caller: AdminDep, token_id: IdPath):
    """Revoke a token and return a new one with the same name and role."""
    return tokens.rotate_token(session, token_id)
