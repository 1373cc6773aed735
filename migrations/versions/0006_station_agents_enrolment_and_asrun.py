"""station agents enrolment and asrun

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 02:06:31.847496
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.sqltypes


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('asrun',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('content_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('planned_start', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('occurred_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('clock_offset_ms', sa.BigInteger(), nullable=False),
    sa.Column('received_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('asrun', schema=None) as batch_op:
        batch_op.create_index('ix_asrun_area_time', ['area_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_asrun_content_id'), ['content_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asrun_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index('ix_asrun_station_time', ['station_id', 'occurred_at'], unique=False)

    op.create_table('station_agent',
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('hardware_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('agent_version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('enrolled_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('manifest_version', sa.Integer(), nullable=True),
    sa.Column('now_playing', sa.Text(), nullable=True),
    sa.Column('clock_offset_ms', sa.BigInteger(), nullable=True),
    sa.Column('disk_free_bytes', sa.BigInteger(), nullable=True),
    sa.Column('cpu_temp_c', sa.Float(), nullable=True),
    sa.Column('volume', sa.Integer(), nullable=True),
    sa.Column('uptime_s', sa.Float(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('station_enrollment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    with op.batch_alter_table('station_enrollment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_enrollment_station_id'), ['station_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('station_enrollment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_enrollment_station_id'))

    op.drop_table('station_enrollment')
    op.drop_table('station_agent')
    with op.batch_alter_table('asrun', schema=None) as batch_op:
        batch_op.drop_index('ix_asrun_station_time')
        batch_op.drop_index(batch_op.f('ix_asrun_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_asrun_content_id'))
        batch_op.drop_index('ix_asrun_area_time')

    op.drop_table('asrun')
