"""The audit log: one row per write to the league (who, what, when), read back by admins a page at a time.

The server records every authenticated write request with the answer's status (refusals too), the
command line records what it changes on the server's machine (no token, role `cli`). Entries are
never changed or deleted by the league.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.models import AuditEntry, User
from league.core.schemas import AuditEntryInfo, Page
from league.core.snapshots import check_page
from league.core.users import find_user

COMMAND_LINE = "cli"  # the role of writes made on the server's machine, without a token
ACTION_MAX = 300
DETAIL_MAX = 2000


def record_write(session: Session, *, action: str, status: int, role: str, user: str | None = None,
                 token_id: int | None = None, detail: str = "") -> None:
    """Add one entry (its own write transaction). `user` is a user's name (None when unknown)."""
    with write_transaction(session):
        user_id = find_user(session, user).id if user else None
        session.add(AuditEntry(user_id=user_id, token_id=token_id, role=role[:10], action=action[:ACTION_MAX],
                               status=status, detail=detail[:DETAIL_MAX]))


def list_audit(session: Session, *, user: str | None = None, offset: int = 0, limit: int = 100
               ) -> Page[AuditEntryInfo]:
    """Entries, newest first (optionally only those of `user`); paginated."""
    check_page(offset, limit)
    query = select(AuditEntry, User.name).outerjoin(User, User.id == AuditEntry.user_id)
    if user is not None:
        query = query.where(AuditEntry.user_id == find_user(session, user).id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(AuditEntry.id.desc()).offset(offset).limit(limit)).all()
    items = [AuditEntryInfo(id=e.id, created_at=e.created_at, user=name, token_id=e.token_id, role=e.role,
                            action=e.action, status=e.status, detail=e.detail) for e, name in rows]
    return Page(items=items, total=total, offset=offset, limit=limit)
