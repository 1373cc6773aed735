"""content library

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 23:12:38.915100
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.sqltypes


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('content_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lineage_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('audio', 'tts', 'relay', name='contentkind', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'approved', 'rejected', 'archived', name='contentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
    sa.Column('tier', sa.Enum('normal', 'priority', 'emergency', name='tier', native_enum=False, length=20), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('valid_until', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('voice', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('stream_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('relay_check', sa.Enum('pending', 'ok', 'warning', name='relaycheck', native_enum=False, length=20), nullable=True),
    sa.Column('relay_check_message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('relay_checked_at', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('original_filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('source_format', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('loudness_before_lufs', sa.Float(), nullable=True),
    sa.Column('loudness_after_lufs', sa.Float(), nullable=True),
    sa.Column('peak_before_dbfs', sa.Float(), nullable=True),
    sa.Column('peak_after_dbfs', sa.Float(), nullable=True),
    sa.Column('gain_db', sa.Float(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('contributors', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reject_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('lineage_id', 'version')
    )
    with op.batch_alter_table('content_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_item_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_item_lineage_id'), ['lineage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_item_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_item_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('content_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_item_status'))
        batch_op.drop_index(batch_op.f('ix_content_item_sha256'))
        batch_op.drop_index(batch_op.f('ix_content_item_lineage_id'))
        batch_op.drop_index(batch_op.f('ix_content_item_area_id'))

    op.drop_table('content_item')
