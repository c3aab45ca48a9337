"""A film part's storyboard tiles, drawn by its chunk job, so the storyboard grows while a film
is encoded (issue 19).

Revision ID: 0026_part_tiles
Revises: 0025_hls_worker
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026_part_tiles'
down_revision = '0025_hls_worker'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('film_parts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tiles', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('film_parts', schema=None) as batch_op:
        batch_op.drop_column('tiles')
