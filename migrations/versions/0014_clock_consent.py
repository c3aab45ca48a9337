"""consent text version: the organisation's current version of the information text about filming

Revision ID: 0014_clock_consent
Revises: 0007_audit_organisation
Create Date: 2026-12-03 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_clock_consent'
down_revision = '0011_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_text_version', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('consent_text_version')
