"""reports read by index: summaries by area path and day (text_pattern_ops, so PostgreSQL
serves "area_path LIKE 'prefix%'" from it), as-run records by lineage and day (proof of
play)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PATTERN = {"area_path": "text_pattern_ops"}


def upgrade() -> None:
    with op.batch_alter_table("station_day_summary") as batch:
        batch.drop_index("ix_station_day_summary_area_path")
        batch.create_index(
            "ix_station_day_summary_path_day", ["area_path", "day"], postgresql_ops=_PATTERN
        )
    with op.batch_alter_table("asrun") as batch:
        batch.create_index("ix_asrun_lineage_day", ["snapshot_lineage_id", "day"])


def downgrade() -> None:
    with op.batch_alter_table("asrun") as batch:
        batch.drop_index("ix_asrun_lineage_day")
    with op.batch_alter_table("station_day_summary") as batch:
        batch.drop_index("ix_station_day_summary_path_day", postgresql_ops=_PATTERN)
        batch.create_index("ix_station_day_summary_area_path", ["area_path"])
