"""ingest jobs: uploads made in the background

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.sqltypes

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "ingest_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "state", _enum("jobstate", "queued", "running", "done", "failed"), nullable=False
        ),
        sa.Column(
            "step", _enum("jobstep", "probe", "loudness", "encode", "done"), nullable=False
        ),
        sa.Column("fraction", sa.Float(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("meta_json", sa.Text(), nullable=False),
        sa.Column(
            "original_filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
        ),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", core.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["content_item.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ingest_job") as batch:
        batch.create_index(batch.f("ix_ingest_job_area_id"), ["area_id"], unique=False)
        batch.create_index(batch.f("ix_ingest_job_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ingest_job") as batch:
        batch.drop_index(batch.f("ix_ingest_job_state"))
        batch.drop_index(batch.f("ix_ingest_job_area_id"))
    op.drop_table("ingest_job")
