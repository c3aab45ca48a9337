"""platform pool: the platform administrator role, organisations that can be deactivated and
versioned programs with a session length

Revision ID: 0016_platform_pool
Revises: 0015_cert_rules
Create Date: 2026-12-03 07:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_platform_pool'
down_revision = '0015_cert_rules'
branch_labels = None
depends_on = None

ROLES_AFTER = "role IN ('admin', 'supervisor', 'leader', 'platform_admin')"
ROLES_BEFORE = "role IN ('admin', 'supervisor', 'leader')"


def upgrade():
    # Today's admins stay organisation admins: their rows are untouched; the new role is only allowed.
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_roles_role'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_user_roles_role'), sa.text(ROLES_AFTER))
    # `make run`'s first user, the oldest admin, becomes the platform administrator too.
    conn = op.get_bind()
    first = conn.execute(sa.text("SELECT MIN(user_id) FROM user_roles WHERE role = 'admin'")).scalar()
    if first is not None:
        conn.execute(sa.text("INSERT INTO user_roles (user_id, role) VALUES (:id, 'platform_admin')"), {"id": first})
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
    # Existing programs become version 1 of themselves; groups keep pointing at them.
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_minutes', sa.Integer(), server_default='150', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_programs_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_programs_key_version'), ['key', 'version'])


def downgrade():
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_programs_key_version'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_programs_key'), ['key'])
        batch_op.drop_column('session_minutes')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('version')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('active')
    op.execute("DELETE FROM user_roles WHERE role = 'platform_admin'")
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_roles_role'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_user_roles_role'), sa.text(ROLES_BEFORE))
