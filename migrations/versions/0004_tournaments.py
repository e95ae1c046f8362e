"""tournaments

Tournaments and their participants; a match may belong to a tournament (`matches.tournament_id`,
null for the league's own matches). Existing matches are league matches.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:17:03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tournaments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('games_per_pair', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('rated', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("format IN ('round_robin', 'gauntlet')", name=op.f('ck_tournaments_format')),
    sa.CheckConstraint("state IN ('running', 'paused', 'cancelled')", name=op.f('ck_tournaments_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tournaments'))
    )
    op.create_table('tournament_participants',
    sa.Column('tournament_id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('field', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshots.id'], name=op.f('fk_tournament_participants_snapshot_id_snapshots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tournament_id'], ['tournaments.id'], name=op.f('fk_tournament_participants_tournament_id_tournaments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tournament_id', 'snapshot_id', name=op.f('pk_tournament_participants'))
    )
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tournament_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_matches_tournament_id'), ['tournament_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_matches_tournament_id_tournaments'), 'tournaments', ['tournament_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_matches_tournament_id_tournaments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_matches_tournament_id'))
        batch_op.drop_column('tournament_id')

    op.drop_table('tournament_participants')
    op.drop_table('tournaments')
