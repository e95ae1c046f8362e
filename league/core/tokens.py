"""API tokens: create (the plaintext is returned once), verify to a role and user, list, revoke, rotate.

Every token belongs to one user (`league.core.users`) and has a role (admin, trainer, worker).
Only a token's sha256 is stored: tokens are 256 random bits, so a fast hash is enough and a
database leak reveals no usable token.

The bootstrap admin token (the setting `LEAGUE_ADMIN_TOKEN`) belongs to the `admin` user. It gets
a row of its own the first time the server starts with it (`register_bootstrap`), so it is listed
and can be revoked like any other: a revoked bootstrap token is refused at once, without a restart,
and stays refused even while the variable is still set. Revoking it is refused while no other
admin token is active, so that the league is never left without an admin.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import Conflict, InvalidInput, InvalidToken, NotFound
from league.core.models import ApiToken, utcnow
from league.core.schemas import NewToken, TokenInfo
from league.core.users import ADMIN_USER, find_user

ROLES = ("admin", "trainer", "worker")
PREFIX = "lg_"
BOOTSTRAP_NAME = "bootstrap admin (LEAGUE_ADMIN_TOKEN)"
BOOTSTRAP_PREFIX = "(settings)"


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _info(token: ApiToken) -> TokenInfo:
    return TokenInfo(id=token.id, name=token.name, user=token.user.name, role=token.role, prefix=token.prefix,
                     created_at=token.created_at, revoked_at=token.revoked_at)


def _new(session: Session, name: str, role: str, user_name: str) -> NewToken:
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, token_hash=_hash(plaintext), prefix=plaintext[:10],
                     user=find_user(session, user_name))
    session.add(token)
    session.flush()
    return NewToken(token=_info(token), plaintext=plaintext)


def create_token(session: Session, name: str, role: str, user: str = ADMIN_USER, *,
                 replace: bool = False) -> NewToken:
    """A new token of `user` for `role` (admin, trainer or worker); the plaintext is in the answer only.

    With `replace`, the user's active tokens of the same name and role are revoked in the same
    transaction (a worker that makes its own token at every start leaves no old ones behind).
    `NotFound` for an unknown user, `InvalidInput` for a bad role or name.
    """
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidInput("token name must be 1 to 100 characters")
    with write_transaction(session):
        if replace:
            owner = find_user(session, user)
            for old in session.scalars(select(ApiToken).where(
                    ApiToken.user_id == owner.id, ApiToken.name == name.strip(), ApiToken.role == role,
                    ApiToken.revoked_at.is_(None)).with_for_update()):
                old.revoked_at = utcnow()
        return _new(session, name.strip(), role, user)


def register_bootstrap(session: Session, admin_token: str | None) -> TokenInfo | None:
    """Give the bootstrap admin token a row of its own (idempotent; a revoked one stays revoked)."""
    return _bootstrap_row(session, admin_token) if admin_token else None


def _bootstrap_row(session: Session, admin_token: str) -> TokenInfo:
    digest = _hash(admin_token)
    with write_transaction(session):
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
        if token is None:
            token = ApiToken(name=BOOTSTRAP_NAME, role="admin", token_hash=digest, prefix=BOOTSTRAP_PREFIX,
                             user=find_user(session, ADMIN_USER))
            session.add(token)
            try:
                session.flush()
            except IntegrityError:  # registered concurrently by another server process
                session.rollback()
                token = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).one()
        return _info(token)


def verify_token(session: Session, plaintext: str | None, *, admin_token: str | None = None) -> TokenInfo:
    """The token's record (with its role and user) if `plaintext` is a valid, unrevoked token.

    `admin_token` (the settings' bootstrap token) is an admin token of the `admin` user unless its
    row was revoked. Raises `InvalidToken` for a missing, unknown or revoked token.
    """
    if not plaintext:
        raise InvalidToken("a bearer token is required")
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(plaintext)))
    if token is None and admin_token and hmac.compare_digest(plaintext.encode(), admin_token.encode()):
        return _bootstrap_row(session, admin_token)
    if token is None:
        raise InvalidToken("unknown token")
    if token.revoked_at is not None:
        raise InvalidToken(f"token {token.prefix}... was revoked")
    return _info(token)


def list_tokens(session: Session, *, include_revoked: bool = False, user: str | None = None) -> list[TokenInfo]:
    query = select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    if user is not None:
        query = query.where(ApiToken.user_id == find_user(session, user).id)
    return [_info(t) for t in session.scalars(query)]


def _load(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    return token


def _keep_an_admin(session: Session, token: ApiToken) -> None:
    """`Conflict` if revoking `token` would leave no active admin token."""
    if token.role != "admin" or token.revoked_at is not None:
        return
    others = session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.role == "admin", ApiToken.revoked_at.is_(None), ApiToken.id != token.id))
    if not others:
        raise Conflict(f"token {token.id} is the last active admin token: create another admin token first "
                       "(`league token create --user admin --role admin`)")


def revoke_token(session: Session, token_id: int) -> TokenInfo:
    """Revoke a token (revoking twice keeps the first time); never the last active admin token."""
    with write_transaction(session):
        token = _load(session, token_id)
        _keep_an_admin(session, token)
        token.revoked_at = token.revoked_at or utcnow()
        return _info(token)


def rotate_token(session: Session, token_id: int) -> NewToken:
    """Revoke a token and make a new one with the same name, role and user."""
    with write_transaction(session):
        token = _load(session, token_id)
        if token.revoked_at is not None:
            raise InvalidInput(f"token {token_id} is revoked; create a new one instead")
        token.revoked_at = utcnow()
        return _new(session, token.name, token.role, token.user.name)
