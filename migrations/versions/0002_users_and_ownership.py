"""users and ownership

Users own agent lineages and hold tokens; leases belong to the token that claimed them; an audit
log records every write.

What an existing league becomes: one user, `admin`, is created, and every lineage and every token
made before users existed belongs to it (the built-in opponents too). Jobs leased at the time of
the upgrade go back to the queue (their lease has no token yet, so no worker could report them;
the attempt is not counted). The `admin` user is created in a new league as well: it owns the
built-in opponents and the bootstrap admin token.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 04:05:38.324624
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADMIN_USER = "admin"


def upgrade() -> None:
    users = op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.bulk_insert(users, [{"name": ADMIN_USER, "created_at": datetime.now(UTC)}])
    bind = op.get_bind()
    admin_id = bind.execute(sa.text("SELECT id FROM users WHERE name = :name"), {"name": ADMIN_USER}).scalar_one()

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('action', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_audit_log_token_id_api_tokens')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_user_id_id', ['user_id', 'id'], unique=False)

    # Existing lineages and tokens belong to `admin`: add the column, fill it, then make it required.
    for table, column in (('agents', 'owner_id'), ('api_tokens', 'user_id')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
        bind.execute(sa.text(f"UPDATE {table} SET {column} = :admin"), {"admin": admin_id})
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_{column}_users'), 'users', [column], ['id'])

    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_matches_lease_token_id_api_tokens'), 'api_tokens', ['lease_token_id'], ['id'])
    bind.execute(sa.text(
        "UPDATE matches SET state = 'queued', worker = NULL, lease_id = NULL, lease_expires_at = NULL, "
        "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END WHERE state = 'leased'"))


def downgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_matches_lease_token_id_api_tokens'), type_='foreignkey')
        batch_op.drop_column('lease_token_id')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_user_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
        batch_op.drop_column('user_id')

    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agents_owner_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_agents_owner_id'))
        batch_op.drop_column('owner_id')

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_user_id_id')

    op.drop_table('audit_log')
    op.drop_table('users')
