"""API tokens: create (the plaintext is returned once), verify to a role, list, revoke, rotate.

Only a token's sha256 is stored: tokens are 256 random bits, so a fast hash is enough and a
database leak reveals no usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import InvalidInput, InvalidToken, NotFound
from league.core.models import ApiToken, utcnow
from league.core.schemas import NewToken, TokenInfo

ROLES = ("admin", "trainer", "worker")
PREFIX = "lg_"
BOOTSTRAP_ADMIN = TokenInfo(id=0, name="bootstrap admin (LEAGUE_ADMIN_TOKEN)", role="admin", prefix="(settings)",
                            created_at=utcnow(), revoked_at=None)


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _info(token: ApiToken) -> TokenInfo:
    return TokenInfo(id=token.id, name=token.name, role=token.role, prefix=token.prefix,
                     created_at=token.created_at, revoked_at=token.revoked_at)


def _new(session: Session, name: str, role: str) -> NewToken:
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, token_hash=_hash(plaintext), prefix=plaintext[:10])
    session.add(token)
    session.flush()
    return NewToken(token=_info(token), plaintext=plaintext)


def create_token(session: Session, name: str, role: str) -> NewToken:
    """A new token for `role` (admin, trainer or worker); the plaintext is in the answer only."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidInput("token name must be 1 to 100 characters")
    with write_transaction(session):
        return _new(session, name.strip(), role)


def verify_token(session: Session, plaintext: str | None, *, admin_token: str | None = None) -> TokenInfo:
    """The token's record (with its role) if `plaintext` is a valid, unrevoked token.

    `admin_token` (the settings' bootstrap token) is accepted as an admin token. Raises
    `InvalidToken` for a missing, unknown or revoked token.
    """
    if not plaintext:
        raise InvalidToken("a bearer token is required")
    if admin_token and hmac.compare_digest(plaintext.encode(), admin_token.encode()):
        return BOOTSTRAP_ADMIN
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(plaintext)))
    if token is None:
        raise InvalidToken("unknown token")
    if token.revoked_at is not None:
        raise InvalidToken(f"token {token.prefix}... was revoked")
    return _info(token)


def list_tokens(session: Session, *, include_revoked: bool = False) -> list[TokenInfo]:
    query = select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return [_info(t) for t in session.scalars(query)]


def _load(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    return token


def revoke_token(session: Session, token_id: int) -> TokenInfo:
    """Revoke a token (revoking twice keeps the first time)."""
    with write_transaction(session):
        token = _load(session, token_id)
        token.revoked_at = token.revoked_at or utcnow()
        return _info(token)


def rotate_token(session: Session, token_id: int) -> NewToken:
    """Revoke a token and make a new one with the same name and role."""
    with write_transaction(session):
        token = _load(session, token_id)
        if token.revoked_at is not None:
            raise InvalidInput(f"token {token_id} is revoked; create a new one instead")
        token.revoked_at = utcnow()
        return _new(session, token.name, token.role)
