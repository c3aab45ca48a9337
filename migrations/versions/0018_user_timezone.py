"""A user's own time zone for the times pages show (issue 16).

Revision ID: 0018_user_timezone
Revises: 0017_group_life
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_user_timezone'
down_revision = '0017_group_life'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('timezone')
