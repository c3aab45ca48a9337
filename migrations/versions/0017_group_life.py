"""group life: a group closed at the end of its round and archived; a cancelled session

Revision ID: 0017_group_life
Revises: 0015_cert_rules
Create Date: 2026-12-03 07:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_group_life'
down_revision = '0016_platform_pool'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('group_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('group_sessions', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('closed_at')
