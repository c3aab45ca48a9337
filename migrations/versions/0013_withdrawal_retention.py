"""withdrawal and retention: withdrawals with a grace period, a stored retention clock, a finite
default policy and legal holds with a reason

Revision ID: 0013_withdrawal_retention
Revises: 0007_audit_organisation
Create Date: 2026-12-03 06:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_withdrawal_retention'
down_revision = '0014_clock_consent'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delete_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('annulled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('annulled_by_id', sa.Integer(), nullable=True),
    sa.Column('annul_reason', sa.String(length=500), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['annulled_by_id'], ['users.id'], name=op.f('fk_consent_withdrawals_annulled_by_id_users')),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_consent_withdrawals_consent_id_consents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_consent_withdrawals_participant_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_consent_withdrawals_registered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_withdrawals')),
    sa.UniqueConstraint('consent_id', name=op.f('uq_consent_withdrawals_consent_id'))
    )
    with op.batch_alter_table('consent_withdrawals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_withdrawals_participant_id'), ['participant_id'], unique=False)

    op.create_table('consent_withdrawal_films',
    sa.Column('withdrawal_id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_consent_withdrawal_films_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['withdrawal_id'], ['consent_withdrawals.id'], name=op.f('fk_consent_withdrawal_films_withdrawal_id_consent_withdrawals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('withdrawal_id', 'recording_id', name=op.f('pk_consent_withdrawal_films'))
    )
    with op.batch_alter_table('consent_withdrawal_films', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_withdrawal_films_recording_id'), ['recording_id'], unique=False)

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_max_days', sa.Integer(), server_default='365', nullable=False))
        batch_op.add_column(sa.Column('withdrawal_grace_days', sa.Integer(), nullable=True))
        batch_op.alter_column('retention_days', existing_type=sa.Integer(), server_default='90',
                              existing_nullable=True)
    # The default policy is finite: an organisation that kept films forever now keeps them 90 days.
    op.execute("UPDATE organisations SET retention_days = 90 WHERE retention_days IS NULL")

    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_hold_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('retention_started_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('retention_started_at')
        batch_op.drop_column('legal_hold_reason')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.alter_column('retention_days', existing_type=sa.Integer(), server_default=None,
                              existing_nullable=True)
        batch_op.drop_column('withdrawal_grace_days')
        batch_op.drop_column('retention_max_days')

    with op.batch_alter_table('consent_withdrawal_films', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_withdrawal_films_recording_id'))

    op.drop_table('consent_withdrawal_films')
    with op.batch_alter_table('consent_withdrawals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_withdrawals_participant_id'))

    op.drop_table('consent_withdrawals')
