"""Chapters in films and the fidelity checklist per program session (issue 20).

Revision ID: 0023_checklist_chapters
Revises: 0019_hls
"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023_checklist_chapters'
down_revision = '0019_hls'
branch_labels = None
depends_on = None

PLACEHOLDERS = 3  # as portal.services.checklist.PLACEHOLDERS_PER_SESSION
PLACEHOLDER = "Innehållspunkt {n} (fyll i från manualen)"


def upgrade():
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chapter_kinds', sa.JSON(), nullable=True))
    op.create_table(
        'chapters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recording_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('start', sa.Float(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('start >= 0', name=op.f('ck_chapters_chapter_start')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_chapters_created_by_id_users')),
        sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_chapters_recording_id_recordings'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chapters')),
    )
    op.create_index(op.f('ix_chapters_recording_id'), 'chapters', ['recording_id'])
    items = op.create_table(
        'checklist_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('session_number', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('session_number >= 0', name=op.f('ck_checklist_items_checklist_session_number')),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_checklist_items_program_id_programs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    )
    op.create_index(op.f('ix_checklist_items_program_id'), 'checklist_items', ['program_id'])
    op.create_table(
        'checklist_marks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_session_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=True),
        sa.Column('marked_by_id', sa.Integer(), nullable=True),
        sa.Column('marked_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IS NULL OR status IN ('covered', 'partly', 'missing')",
                           name=op.f('ck_checklist_marks_checklist_mark_status')),
        sa.ForeignKeyConstraint(['group_session_id'], ['group_sessions.id'],
                                name=op.f('fk_checklist_marks_group_session_id_group_sessions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['item_id'], ['checklist_items.id'],
                                name=op.f('fk_checklist_marks_item_id_checklist_items'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['marked_by_id'], ['users.id'], name=op.f('fk_checklist_marks_marked_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_marks')),
        sa.UniqueConstraint('group_session_id', 'item_id', name=op.f('uq_checklist_marks_session_item')),
    )
    op.create_index(op.f('ix_checklist_marks_group_session_id'), 'checklist_marks', ['group_session_id'])
    op.create_index(op.f('ix_checklist_marks_item_id'), 'checklist_marks', ['item_id'])
    op.create_table(
        'checklist_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mark_id', sa.Integer(), nullable=False),
        sa.Column('recording_id', sa.Integer(), nullable=False),
        sa.Column('start', sa.Float(), nullable=False),
        sa.Column('end', sa.Float(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('start >= 0 AND "end" > start', name=op.f('ck_checklist_links_checklist_link_range')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_checklist_links_created_by_id_users')),
        sa.ForeignKeyConstraint(['mark_id'], ['checklist_marks.id'],
                                name=op.f('fk_checklist_links_mark_id_checklist_marks'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'],
                                name=op.f('fk_checklist_links_recording_id_recordings'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_links')),
    )
    op.create_index(op.f('ix_checklist_links_mark_id'), 'checklist_links', ['mark_id'])
    op.create_index(op.f('ix_checklist_links_recording_id'), 'checklist_links', ['recording_id'])
    _seed_placeholders(items)


def _seed_placeholders(items):
    """Placeholder items for every session of every program there is: to be filled in from the
    manual by the platform administrator, never invented here."""
    conn = op.get_bind()
    rows = []
    for program_id, titles in conn.execute(sa.text("SELECT id, session_titles FROM programs")):
        if isinstance(titles, str):
            titles = json.loads(titles)
        for number in range(1, len(titles or []) + 1):
            rows += [{"program_id": program_id, "session_number": number, "position": n,
                      "text": PLACEHOLDER.format(n=n)} for n in range(1, PLACEHOLDERS + 1)]
    if rows:
        op.bulk_insert(items, rows)


def downgrade():
    op.drop_index(op.f('ix_checklist_links_recording_id'), table_name='checklist_links')
    op.drop_index(op.f('ix_checklist_links_mark_id'), table_name='checklist_links')
    op.drop_table('checklist_links')
    op.drop_index(op.f('ix_checklist_marks_item_id'), table_name='checklist_marks')
    op.drop_index(op.f('ix_checklist_marks_group_session_id'), table_name='checklist_marks')
    op.drop_table('checklist_marks')
    op.drop_index(op.f('ix_checklist_items_program_id'), table_name='checklist_items')
    op.drop_table('checklist_items')
    op.drop_index(op.f('ix_chapters_recording_id'), table_name='chapters')
    op.drop_table('chapters')
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_column('chapter_kinds')
