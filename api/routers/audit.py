"""`GET /api/audit`: the audit log of writes, newest first, a page at a time (admin tokens only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AdminDep, SessionDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from api.params import Limit, Offset
from league.core import audit
from league.core.schemas import AuditEntryInfo, Page
from league.core.users import USER_NAME

router = APIRouter(prefix="/api/audit", tags=["audit"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})


@router.get("", response_model=Page[AuditEntryInfo])
def list_audit(
    session: SessionDep,
    caller: AdminDep,
    offset: Offset = 0,
    limit: Limit = 100,
    user: Annotated[str | None, Query(pattern=USER_NAME.pattern, description="only this user's writes")] = None,
):
    """Every write (who: user, token and role; what: method, path, the answer's status; when), newest first."""
    return audit.list_audit(session, user=user, offset=offset, limit=limit)
