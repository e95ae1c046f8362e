"""checks of reported results by a second worker, and which games are rated

`matches.verifies_match_id`: a check (a re-play of another match's games by a different worker,
never rated or listed). `matches.check_state`: of a checked match, pending, confirmed or disputed.
`api_tokens.results_checked` / `results_outvoted`: a worker's results that checks decided, and
how many of them two other workers outvoted. `games.rated`: whether the game changed the ratings. Games recorded before this revision count as
rated when they were played and their match is not part of an unrated tournament; the ratings a
recomputation derives from them are the ones they have now.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 11:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verifies_match_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('check_state', sa.String(length=10), nullable=True))
        batch_op.create_index(batch_op.f('ix_matches_verifies_match_id'), ['verifies_match_id'], unique=False)
        batch_op.create_foreign_key('fk_matches_verifies_match_id_matches', 'matches', ['verifies_match_id'],
                                    ['id'], ondelete='CASCADE')
    with op.batch_alter_table('games', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rated', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_checked', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('results_outvoted', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE games SET rated = (winner IS NOT NULL AND NOT EXISTS ("
        " SELECT 1 FROM matches JOIN tournaments ON tournaments.id = matches.tournament_id"
        " WHERE matches.id = games.match_id AND NOT tournaments.rated))")


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('results_outvoted')
        batch_op.drop_column('results_checked')
    with op.batch_alter_table('games', schema=None) as batch_op:
        batch_op.drop_column('rated')
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_constraint('fk_matches_verifies_match_id_matches', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_matches_verifies_match_id'))
        batch_op.drop_column('check_state')
        batch_op.drop_column('verifies_match_id')
