"""timelines and station builds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 00:43:58.799644
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.sqltypes


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('build_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_cursor', sa.Integer(), nullable=False),
    sa.Column('full_built_at', core.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('full_build_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('timeline_body',
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest')
    )
    with op.batch_alter_table('timeline_body', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_body_day'), ['day'], unique=False)

    op.create_table('station_build',
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('days_json', sa.Text(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('built_at', core.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_id')
    )


def downgrade() -> None:
    op.drop_table('station_build')
    with op.batch_alter_table('timeline_body', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_body_day'))

    op.drop_table('timeline_body')
    op.drop_table('build_state')
