"""Films published as HLS: segments, parts (chunk jobs), how much is playable (issue 19).

Revision ID: 0019_hls
Revises: 0018_user_timezone
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_hls'
down_revision = '0018_user_timezone'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('output_kind', sa.String(length=8), nullable=False, server_default='mp4'))
        batch_op.add_column(sa.Column('playable_seconds', sa.Float(), nullable=True))
    op.create_table(
        'film_parts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recording_id', sa.Integer(), nullable=False),
        sa.Column('run', sa.String(length=32), nullable=False),
        sa.Column('track', sa.String(length=8), nullable=False),
        sa.Column('part', sa.Integer(), nullable=False),
        sa.Column('source_index', sa.Integer(), nullable=False),
        sa.Column('start', sa.Float(), nullable=False),
        sa.Column('end', sa.Float(), nullable=True),
        sa.Column('offset', sa.Float(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('job_token', sa.String(length=32), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason_code', sa.String(length=40), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('waiting', 'working', 'done', 'failed')", name='film_part_status'),
        sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('recording_id', 'run', 'track', 'part', name='uq_film_parts_part'),
    )
    op.create_index('ix_film_parts_recording_id', 'film_parts', ['recording_id'])
    op.create_table(
        'film_segments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recording_id', sa.Integer(), nullable=False),
        sa.Column('run', sa.String(length=32), nullable=False),
        sa.Column('track', sa.String(length=8), nullable=False),
        sa.Column('part', sa.Integer(), nullable=False),
        sa.Column('idx', sa.Integer(), nullable=False),
        sa.Column('duration', sa.Float(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('init', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('recording_id', 'run', 'track', 'part', 'idx', name='uq_film_segments_segment'),
    )
    op.create_index('ix_film_segments_recording_id', 'film_segments', ['recording_id'])


def downgrade():
    op.drop_index('ix_film_segments_recording_id', table_name='film_segments')
    op.drop_table('film_segments')
    op.drop_index('ix_film_parts_recording_id', table_name='film_parts')
    op.drop_table('film_parts')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('playable_seconds')
        batch_op.drop_column('output_kind')
