"""job deliveries

Every claim of a match job is counted in `matches.deliveries` (a release does not take it back), so
that a job no worker can finish goes to `failed` after `max_deliveries` claims instead of blocking
the queue. Existing jobs start with their attempts counted as deliveries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deliveries', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE matches SET deliveries = attempts")


def downgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_column('deliveries')
