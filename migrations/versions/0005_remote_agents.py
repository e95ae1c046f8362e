"""remote agents

Snapshots of kind `remote` are played by a program on their owner's machine, through the agent
gateway. `snapshots.online` says whether the gateway holds a connection for one, `last_seen_at`
when it last said so (a gateway that stops saying so lets it go offline by itself).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('online', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('snapshots', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('online')
