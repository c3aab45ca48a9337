"""The worker's side of HLS: when an encode's chunk jobs were all planned (issue 19).

Revision ID: 0020_hls_worker
Revises: 0019_hls
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020_hls_worker'
down_revision = '0019_hls'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('planned_at')
