"""The audio activity track's summary on a film and each user's review settings (issue 20).

Revision ID: 0024_activity
Revises: 0023_checklist_chapters
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024_activity'
down_revision = '0023_checklist_chapters'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity', sa.JSON(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_settings', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('review_settings')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('activity')
