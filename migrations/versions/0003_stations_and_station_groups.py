"""stations and station groups

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 23:34:53.584023
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.sqltypes


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('station',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_area_id'), ['area_id'], unique=False)

    op.create_table('station_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('station_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_group_area_id'), ['area_id'], unique=False)

    op.create_table('station_group_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['station_group.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'station_id')
    )
    with op.batch_alter_table('station_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_group_member_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_station_group_member_station_id'), ['station_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('station_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_group_member_station_id'))
        batch_op.drop_index(batch_op.f('ix_station_group_member_group_id'))

    op.drop_table('station_group_member')
    with op.batch_alter_table('station_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_group_area_id'))

    op.drop_table('station_group')
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_area_id'))

    op.drop_table('station')
