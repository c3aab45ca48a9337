"""cert rules: a program's minimum film length, an organisation's details for certificates and
each certification's verification code

Revision ID: 0015_cert_rules
Revises: 0007_audit_organisation
Create Date: 2026-12-03 06:55:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_cert_rules'
down_revision = '0013_withdrawal_retention'
branch_labels = None
depends_on = None

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as portal.models.certification


def _code():
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


def upgrade():
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_film_minutes', sa.Integer(), server_default='45', nullable=False))
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.String(length=300), server_default='', nullable=False))
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verification_code', sa.String(length=20), nullable=True))
    # Certificates issued before get their code now (printed on the next download).
    conn = op.get_bind()
    for (row_id,) in conn.execute(sa.text("SELECT id FROM certifications")).fetchall():
        conn.execute(sa.text("UPDATE certifications SET verification_code = :code WHERE id = :id"),
                     {"code": _code(), "id": row_id})
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.alter_column('verification_code', existing_type=sa.String(length=20), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_certifications_verification_code'), ['verification_code'])


def downgrade():
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_certifications_verification_code'), type_='unique')
        batch_op.drop_column('verification_code')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('details')
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_column('min_film_minutes')
