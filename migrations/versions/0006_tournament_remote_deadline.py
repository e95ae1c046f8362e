"""a tournament's deadline for remote participants

A remote participant plays a tournament's games while it is connected; once the tournament's
`remote_deadline_at` has passed, its games still queued while it is offline are recorded as its
forfeits. Tournaments created before this revision have no deadline (null): they wait for their
remote participants as before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tournaments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_deadline_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tournaments', schema=None) as batch_op:
        batch_op.drop_column('remote_deadline_at')
