"""sessions, policy and queue

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 23:36:44.417195
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.sqltypes


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('area_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('policy_json', sa.Text(), nullable=False),
    sa.Column('updated_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('area_id')
    )
    op.create_table('broadcast_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Time(), nullable=False),
    sa.Column('max_length_s', sa.Integer(), nullable=False),
    sa.Column('recurrence_json', sa.Text(), nullable=False),
    sa.Column('volume', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('broadcast_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broadcast_session_area_id'), ['area_id'], unique=False)

    op.create_table('queue_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lineage_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('recurrence_json', sa.Text(), nullable=False),
    sa.Column('at', sa.Time(), nullable=True),
    sa.Column('relay_length_s', sa.Integer(), nullable=True),
    sa.Column('repeat', sa.Integer(), nullable=False),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['broadcast_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('queue_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_entry_lineage_id'), ['lineage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_entry_session_id'), ['session_id'], unique=False)

    op.create_table('session_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['group_id'], ['station_group.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['broadcast_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('session_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_target_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_target_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_target_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('session_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_target_session_id'))
        batch_op.drop_index(batch_op.f('ix_session_target_group_id'))
        batch_op.drop_index(batch_op.f('ix_session_target_area_id'))

    op.drop_table('session_target')
    with op.batch_alter_table('queue_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_entry_session_id'))
        batch_op.drop_index(batch_op.f('ix_queue_entry_lineage_id'))

    op.drop_table('queue_entry')
    with op.batch_alter_table('broadcast_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broadcast_session_area_id'))

    op.drop_table('broadcast_session')
    op.drop_table('area_policy')
