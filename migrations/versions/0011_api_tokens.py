"""api tokens: name, expiry and the security stamp they are bound to; two-factor login by
default for leaders too

Revision ID: 0011_api_tokens
Revises: 0007_audit_organisation
Create Date: 2026-12-03 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_api_tokens'
down_revision = '0007_audit_organisation'
branch_labels = None
depends_on = None


def upgrade():
    # Tokens issued before had no expiry and no two-factor check: bound to no stamp, they stop
    # working (server defaults '' and now) and their owners issue new ones on the account page.
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('security_stamp', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True),
                                      server_default=sa.func.current_timestamp(), nullable=False))
    # Two-factor login is now required for every role unless an organisation relaxes it for
    # its leaders (an audited setting): existing organisations start from the new default.
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.alter_column('leaders_require_2fa', existing_type=sa.Boolean(), server_default=sa.true(),
                              existing_nullable=False)
    op.execute(sa.text("UPDATE organisations SET leaders_require_2fa = :yes").bindparams(yes=True))


def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.alter_column('leaders_require_2fa', existing_type=sa.Boolean(), server_default=sa.false(),
                              existing_nullable=False)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('security_stamp')
        batch_op.drop_column('name')
